package dashboard

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/admin"
	"github.com/gatehouse-id/gatehouse/web"
)

// A client's logos, uploaded from its page as multipart/form-data and
// checked by the same operation as the API's uploads (the bytes decide
// the type; an SVG is rebuilt from an allow-list; the same size limit).

// Error codes of package admin for an upload the operation refuses.
const (
	codeTooLarge    = "too_large"
	codeUnsupported = "unsupported_media_type"
)

// clientLogo is one of the logos a client page uploads.
type clientLogo struct {
	// name is the asset's name, in the path (gatehouse.AssetLogo, ...).
	name string
	// field names its problems on the page; inputID is its file input.
	field   string
	inputID string
	label   string
	dark    bool
}

var clientLogos = []clientLogo{
	{name: gatehouse.AssetLogo, field: "logo", inputID: "logo-file", label: "Logo"},
	{name: gatehouse.AssetLogoDark, field: "logo_dark", inputID: "logo-dark-file", label: "Logo for dark mode", dark: true},
}

// logo reads the client named by the path and the logo of it the path
// names, answering 404 itself.
func (d *Dashboard) logo(w http.ResponseWriter, r *http.Request, s *session) (*gatehouse.Client, clientLogo, bool) {
	c, ok := d.client(w, r, s)
	if !ok {
		return nil, clientLogo{}, false
	}
	for _, l := range clientLogos {
		if l.name == r.PathValue("logo") {
			return c, l, true
		}
	}
	d.fail(w, r, s, errNotFound)
	return nil, clientLogo{}, false
}

// logoURI is the client's current URI of a logo.
func logoURI(c *gatehouse.Client, l clientLogo) string {
	if l.dark {
		return c.LogoDarkURI
	}
	return c.LogoURI
}

// logoForms are the upload forms of c's logos, on its page at self.
func logoForms(c *gatehouse.Client, self string) []web.DashboardLogo {
	out := make([]web.DashboardLogo, 0, len(clientLogos))
	for _, l := range clientLogos {
		uri := logoURI(c, l)
		f := web.DashboardLogo{Field: l.field, InputID: l.inputID, Label: l.label, URI: uri, Dark: l.dark,
			Action: self + "/logos/" + l.name, Hidden: []web.Field{revisionField(c.Revision)}}
		// Only a logo uploaded here can be removed here; a URL set
		// through the API is changed there.
		if strings.Contains(uri, admin.AssetPath(c.ID, l.name, "")) {
			f.DeleteAction = self + "/logos/" + l.name + "/delete"
		}
		out = append(out, f)
	}
	return out
}

// maxUploadParts bounds the parts of an upload form: the file and a few
// hidden fields.
const maxUploadParts = 8

// errUploadTooLarge is a body over the server's limit.
var errUploadTooLarge = errors.New("upload over the body limit")

// readUpload reads a logo upload form: the file's bytes, read up to one
// byte over the logo size limit so that the operation refuses a larger
// file exactly as the API does, and the other fields. A body over the
// server's limit is errUploadTooLarge; one that is not a multipart form
// is another error.
func readUpload(r *http.Request) ([]byte, url.Values, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, nil, err
	}
	fields := url.Values{}
	var data []byte
	for n := 0; ; n++ {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err == nil && n >= maxUploadParts {
			err = errors.New("too many parts")
		}
		if err != nil {
			return nil, nil, uploadError(err)
		}
		if part.FormName() == "image" {
			data, err = io.ReadAll(io.LimitReader(part, gatehouse.MaxAssetSize+1))
		} else {
			var v []byte
			v, err = io.ReadAll(io.LimitReader(part, 1024))
			fields.Add(part.FormName(), string(v))
		}
		if err != nil {
			return nil, nil, uploadError(err)
		}
		if len(data) > gatehouse.MaxAssetSize {
			// The rest of the file is not needed; reading what is left of
			// the body (bounded by the server's limit) lets the browser
			// finish sending and read the answer.
			io.Copy(io.Discard, r.Body)
			break
		}
	}
	return data, fields, nil
}

// uploadError tells a body over the server's limit from a malformed one.
func uploadError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return errUploadTooLarge
	}
	return err
}

// serveUploadLogo stores an uploaded logo; its problems are shown next
// to the logo's field on the app's page.
func (d *Dashboard) serveUploadLogo(w http.ResponseWriter, r *http.Request, s *session) {
	c, l, ok := d.logo(w, r, s)
	if !ok {
		return
	}
	errs := web.FieldErrors{}
	data, fields, err := readUpload(r)
	switch {
	case errors.Is(err, errUploadTooLarge):
		errs.Add(l.field, "The file is too large: a logo may have at most 256 KiB.")
		d.renderClient(w, r, http.StatusRequestEntityTooLarge, s, c, "", errs)
		return
	case err != nil:
		d.fail(w, r, s, errBadRequest)
		return
	case len(data) == 0:
		errs.Add(l.field, "Choose an image file to upload.")
		d.renderClient(w, r, http.StatusUnprocessableEntity, s, c, "", errs)
		return
	}
	_, err = d.admin.SetClientLogo(r.Context(), s.actor, s.tenant.ID, c.ID, l.name, data, s.issuerURL(), revisionOf(fields))
	if err == nil {
		redirect(w, done(s.link("/clients/"+c.ID), "logo-saved"))
		return
	}
	status := http.StatusUnprocessableEntity
	switch gatehouse.ErrorCode(err) {
	case gatehouse.EINVALID:
		errs.Add(l.field, logoProblem(err))
	case codeTooLarge:
		status = http.StatusRequestEntityTooLarge
		errs.Add(l.field, sentence(gatehouse.ErrorMessage(err)))
	case codeUnsupported:
		status = http.StatusUnsupportedMediaType
		errs.Add(l.field, sentence(gatehouse.ErrorMessage(err)))
	case codeStale:
		status = http.StatusConflict
		errs.Add(l.field, msgStale)
		if c, ok = d.client(w, r, s); !ok {
			return
		}
	default:
		d.fail(w, r, s, d.storeError(r, "set client logo", err))
		return
	}
	d.renderClient(w, r, status, s, c, "", errs)
}

// logoProblem words the operation's objection to an image, which names
// the request body ("is not a readable image/png image", "the SVG has a
// script ..."), for the person who chose the file.
func logoProblem(err error) string {
	msg := gatehouse.ErrorMessage(err)
	var e *gatehouse.Error
	if errors.As(err, &e) && len(e.Fields) > 0 {
		msg = e.Fields[0].Message
	}
	if strings.HasPrefix(msg, "the ") {
		return sentence(msg)
	}
	return "The image " + strings.TrimSuffix(msg, ".") + "."
}

// serveDeleteLogo removes an uploaded logo, after confirmation.
func (d *Dashboard) serveDeleteLogo(w http.ResponseWriter, r *http.Request, s *session) {
	c, l, ok := d.logo(w, r, s)
	if !ok {
		return
	}
	self := s.link("/clients/" + c.ID)
	lead := "Users no longer see this logo when they are asked to allow " + c.Name + "; they see its name. You can upload another later."
	if confirmed(r) {
		_, err := d.admin.DeleteClientLogo(r.Context(), s.actor, s.tenant.ID, c.ID, l.name, revision(r))
		if err == nil {
			redirect(w, done(self, "logo-deleted"))
			return
		}
		if gatehouse.ErrorCode(err) != codeStale {
			d.fail(w, r, s, d.storeError(r, "delete client logo", err))
			return
		}
		lead = "This app was changed since you opened its page. " + lead
	}
	d.render(w, r, http.StatusOK, s, "Remove the "+strings.ToLower(l.label)+" of "+c.Name+"?", web.DashboardConfirm{
		Frame:     s.frame(""),
		Lead:      lead,
		Facts:     []web.Fact{{Term: "App", Detail: c.Name}, {Term: l.label, Detail: logoURI(c, l)}},
		Action:    self + "/logos/" + l.name + "/delete",
		Hidden:    []web.Field{revisionField(c.Revision), {Name: "confirm", Value: "yes"}},
		Confirm:   "Remove logo",
		Danger:    true,
		CancelURL: self,
	})
}
