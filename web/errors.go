package web

import "net/http"

// PageError is a failure shown to a person on a page instead of what
// they asked for: the status to answer with, and a title and message
// that are fixed and safe to show anyone. The cause never goes into
// them; it belongs in the log.
//
// The handler packages keep their own failures (a bad authorization
// link, a dashboard page that does not exist) as PageErrors next to the
// code that returns them; the ones every page can meet are built here.
type PageError struct {
	Status  int
	Title   string
	Message string
}

// Error returns the message, so that a PageError can be returned as an
// error.
func (e *PageError) Error() string { return e.Message }

// Page returns the error page that shows e, in the look of brand.
func (e *PageError) Page(brand Brand) Page {
	return Page{Title: e.Title, Brand: brand, Data: ErrorPage{Message: e.Message}}
}

// InternalError returns the failure shown when the server itself failed
// (a store error, a bug), with status 500.
func InternalError() *PageError {
	return &PageError{Status: http.StatusInternalServerError, Title: "Something went wrong",
		Message: "Something went wrong on our side. Please try again in a moment."}
}

// UnavailableError returns the failure shown when something the page
// needs is busy or down for a moment, with status 503.
func UnavailableError() *PageError {
	return &PageError{Status: http.StatusServiceUnavailable, Title: "Please try again",
		Message: "The service is busy right now. Please try again in a moment."}
}
