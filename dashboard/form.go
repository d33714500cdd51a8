package dashboard

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/admin"
	"github.com/gatehouse-id/gatehouse/web"
)

// codeStale is the error code of package admin for a change whose
// revision (the form's hidden "revision") is no longer the row's.
const codeStale = "precondition_failed"

// msgStale explains a change refused because someone else changed the
// same thing since the form was opened.
const msgStale = "Someone changed this since you opened the page, so your change was not saved. The form now shows the current values: make your change again."

// lines splits a textarea into its trimmed, non-empty lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// words splits a list typed on one line, separated by commas or spaces.
func words(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
}

// revision reads the hidden revision field of a form: the row's revision
// when the form was shown. A missing or malformed one matches nothing.
func revision(r *http.Request) admin.IfMatch { return revisionOf(r.PostForm) }

// revisionOf reads the revision field of a form's values.
func revisionOf(form url.Values) admin.IfMatch {
	rev, err := strconv.ParseInt(form.Get("revision"), 10, 64)
	if err != nil || rev <= 0 {
		return admin.IfMatch{}
	}
	return admin.IfMatch{rev}
}

// revisionField is the hidden field that carries a row's revision.
func revisionField(rev int64) web.Field {
	return web.Field{Name: "revision", Value: strconv.FormatInt(rev, 10)}
}

// formField is where the problems of an operation's field are shown: the
// form field's name and the label that starts a message about it.
type formField struct {
	name  string
	label string
}

// fieldMap maps an operation's field names, as the management API's JSON
// names them without list indexes ("config.redirect_uris"), to the form.
type fieldMap map[string]formField

// formErrors turns an operation's error into problems the person filling
// the form can fix, with the status to answer with: EINVALID puts each
// problem next to its form field (a list item quoted from items, by the
// form field's name and the item's index), ECONFLICT and a stale revision
// go above the form, and a refusal (EFORBIDDEN) that names a field goes
// next to it as the operation wrote it. ok is false for any other error,
// which the caller shows as a failure page.
func formErrors(err error, fields fieldMap, items map[string][]string) (errs web.FieldErrors, status int, ok bool) {
	errs = web.FieldErrors{}
	switch gatehouse.ErrorCode(err) {
	case gatehouse.EINVALID:
		var (
			e        *gatehouse.Error
			problems []gatehouse.FieldError
		)
		if errors.As(err, &e) {
			problems = e.Fields
		}
		if len(problems) == 0 {
			errs.Add("", gatehouse.ErrorMessage(err))
		}
		for _, p := range problems {
			name, index := splitIndex(p.Field)
			f, known := fields[name]
			switch {
			case !known:
				errs.Add("", p.String())
			case index >= 0 && index < len(items[f.name]):
				errs.Add(f.name, items[f.name][index]+" "+strings.TrimSuffix(p.Message, ".")+".")
			case f.label == "":
				errs.Add(f.name, sentence(p.Message))
			default:
				errs.Add(f.name, f.label+" "+strings.TrimSuffix(p.Message, ".")+".")
			}
		}
		return errs, http.StatusUnprocessableEntity, true
	case gatehouse.ECONFLICT:
		// A taken value is named by its field ("username is already
		// taken"): show it next to that field.
		msg := gatehouse.ErrorMessage(err)
		for name, f := range fields {
			if rest, ok := strings.CutPrefix(msg, name+" "); ok && f.label != "" {
				errs.Add(f.name, f.label+" "+strings.TrimSuffix(rest, ".")+".")
				return errs, http.StatusConflict, true
			}
		}
		errs.Add("", sentence(msg))
		return errs, http.StatusConflict, true
	case codeStale:
		errs.Add("", msgStale)
		return errs, http.StatusConflict, true
	case gatehouse.EFORBIDDEN:
		// The rules of who may change whom explain a refusal in full
		// sentences, for the field they concern.
		var e *gatehouse.Error
		if !errors.As(err, &e) || len(e.Fields) == 0 {
			return nil, 0, false
		}
		for _, p := range e.Fields {
			name := ""
			if f, known := fields[p.Field]; known {
				name = f.name
			}
			errs.Add(name, sentence(p.Message))
		}
		return errs, http.StatusForbidden, true
	}
	return nil, 0, false
}

// splitIndex splits "config.redirect_uris[2]" into its name and index
// (-1 when there is none).
func splitIndex(field string) (string, int) {
	open := strings.LastIndexByte(field, '[')
	if open < 0 || !strings.HasSuffix(field, "]") {
		return field, -1
	}
	i, err := strconv.Atoi(field[open+1 : len(field)-1])
	if err != nil || i < 0 {
		return field, -1
	}
	return field[:open], i
}

// sentence makes an error message read as a sentence.
func sentence(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// checked reports whether a checkbox was ticked.
func checked(r *http.Request, name string) bool { return r.PostForm.Get(name) != "" }
