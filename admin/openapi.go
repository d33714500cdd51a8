package admin

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gatehouse-id/gatehouse"
)

// The OpenAPI 3.1 document of the management API is generated from the
// table below and the Go types of the bodies, and served at
// /api/v1/openapi.json. docs/openapi.json is the same bytes, checked by a
// test (go test ./admin -run OpenAPI -update rewrites it).

// operation describes one endpoint.
type operation struct {
	method, path string
	id           string
	tag          string
	summary      string
	description  string
	// scope is the API key scope the endpoint needs; "" for a public one.
	scope string
	// platform endpoints need a key of the platform's own tenant too.
	platform bool
	query    []param
	// body is a value of the JSON request body's type; nil for none.
	body         any
	bodyOptional bool
	// upload names the media types of a raw request body.
	upload []string
	status int
	// result is a value of the JSON response's type; nil for no body.
	// list makes it a page of such values.
	result any
	list   bool
	// media replaces the JSON response with raw bodies of these types.
	media []string
	etag  bool
	// ifMatch: 0 not used, 1 optional, 2 required.
	ifMatch  int
	location bool
	// errors are the statuses the endpoint may answer besides the ones
	// every authenticated endpoint may (401, 403).
	errors []int
}

type param struct {
	name, description string
	schema            map[string]any
}

var (
	pageParams = []param{
		{"limit", "Items per page, 1-1000; default 100.", map[string]any{"type": "integer", "minimum": 1, "maximum": 1000}},
		{"cursor", "The next_cursor of the previous page.", map[string]any{"type": "string"}},
	}
	auditParams = []param{
		{"since", "Events at or after this time (RFC 3339).", map[string]any{"type": "string", "format": "date-time"}},
		{"until", "Events before this time (RFC 3339).", map[string]any{"type": "string", "format": "date-time"}},
		{"actor", "Events by this actor, such as apikey:<id> or user:<id>.", map[string]any{"type": "string"}},
		{"action", "Events of this action, such as client.update.", map[string]any{"type": "string"}},
		{"result", "success or failure.", map[string]any{"type": "string", "enum": []any{"success", "failure"}}},
	}
	// pathParams describe path parameters by the collection they follow.
	pathParams = map[string]string{
		"clients/{id}":     "The client's registration id, or one of its client_ids.",
		"users/{id}":       "The user's id, username or email.",
		"tenants/{id}":     "The tenant's id or slug.",
		"apikeys/{id}":     "The key's id.",
		"installkeys/{id}": "The key's id.",
		"{credential}":     "The credential's id or its client_id.",
		"{key}":            "The public install key.",
	}
	logoTypes = []string{typePNG, typeJPEG, typeSVG}
)

// operations lists every endpoint of the API, in the document's order.
func operations() []operation {
	const (
		clients = "OAuth clients"
		users   = "Users"
		tenant  = "Tenant"
		plat    = "Platform"
		audit   = "Audit"
		apikeys = "Server API keys"
		install = "Public install keys"
		runtime = "Runtime tokens"
		meta    = "Meta"
		cr, cw  = gatehouse.APIScopeClientsRead, gatehouse.APIScopeClientsWrite
		ur, uw  = gatehouse.APIScopeUsersRead, gatehouse.APIScopeUsersWrite
		tr, tw  = gatehouse.APIScopeTenantRead, gatehouse.APIScopeTenantWrite
	)
	ops := []operation{
		{method: "GET", path: "/api/v1/openapi.json", id: "getOpenAPI", tag: meta, summary: "This document",
			status: 200, media: []string{"application/json"}},

		{method: "GET", path: "/api/v1/clients", id: "listClients", tag: clients, summary: "List OAuth clients",
			scope: cr, query: pageParams, status: 200, result: ClientDoc{}, list: true, errors: []int{422}},
		{method: "POST", path: "/api/v1/clients", id: "createClient", tag: clients, summary: "Register an OAuth client",
			description: "Registers a client with one credential. For a confidential client the response holds the credential's secret: it is shown only here.",
			scope:       cw, body: ClientInput{}, status: 201, result: ClientDoc{}, etag: true, location: true, errors: []int{400, 422}},
		{method: "GET", path: "/api/v1/clients/{id}", id: "getClient", tag: clients, summary: "Get an OAuth client",
			description: "{id} is the registration id or one of the client's client_ids. The ETag versions the client's settings (what PUT replaces), not its credentials.",
			scope:       cr, status: 200, result: ClientDoc{}, etag: true, errors: []int{404}},
		{method: "PUT", path: "/api/v1/clients/{id}", id: "replaceClient", tag: clients, summary: "Replace an OAuth client's settings",
			description: "Replaces every setting with the document sent (fields left out take their defaults). If-Match with the ETag read is required.",
			scope:       cw, body: ClientInput{}, ifMatch: 2, status: 200, result: ClientDoc{}, etag: true, errors: []int{400, 404, 412, 422, 428}},
		{method: "DELETE", path: "/api/v1/clients/{id}", id: "deleteClient", tag: clients, summary: "Delete an OAuth client",
			description: "Deletes the client with its credentials and logos, and revokes every grant and token it was issued. If-Match is required.",
			scope:       cw, ifMatch: 2, status: 204, errors: []int{404, 412, 428}},
		{method: "POST", path: "/api/v1/clients/{id}/credentials", id: "addClientCredential", tag: clients, summary: "Add a credential",
			description: "Adds a client_id (and, for a confidential client, a secret shown only in this response). The other credentials keep working.",
			scope:       cw, body: AddCredentialInput{}, bodyOptional: true, status: 201, result: IssuedCredentialDoc{}, etag: true, location: true,
			errors: []int{400, 404, 409, 422}},
		{method: "POST", path: "/api/v1/clients/{id}/credentials/rotate", id: "rotateClientSecret", tag: clients, summary: "Rotate the secret",
			description: "Adds a credential with a new secret and makes the existing ones expire after grace_seconds, so a deployment switches over without downtime.",
			scope:       cw, body: RotateInput{}, bodyOptional: true, status: 201, result: IssuedCredentialDoc{}, etag: true, location: true,
			errors: []int{400, 404, 422}},
		{method: "POST", path: "/api/v1/clients/{id}/credentials/{credential}/expire", id: "expireClientCredential", tag: clients,
			summary: "Expire a credential", description: "Makes one credential stop working now, or at expires_at. An expired credential stays expired: a later expires_at is refused (422).",
			scope: cw, body: ExpireInput{}, bodyOptional: true, status: 200, result: ClientDoc{}, etag: true, errors: []int{400, 404, 422}},
		{method: "PATCH", path: "/api/v1/clients/{id}/credentials/{credential}", id: "updateClientCredential", tag: clients,
			summary: "Rename a credential or change its expiry",
			description: "A merge patch: name renames the credential; expires_at sets when it stops working, and null clears a scheduled expiry. " +
				"An expired credential cannot be brought back (422 naming expires_at): add a new credential instead. " +
				"If-Match, when sent, must name the client's ETag, which a credential change leaves as it is. ",
			scope: cw, body: CredentialChangeInput{}, ifMatch: 1, status: 200, result: ClientDoc{}, etag: true, errors: []int{400, 404, 412, 422}},
		{method: "DELETE", path: "/api/v1/clients/{id}/credentials/{credential}", id: "deleteClientCredential", tag: clients,
			summary: "Delete a credential", description: "Deletes one credential at once. The last one cannot be deleted (409): delete the client instead.",
			scope: cw, status: 200, result: ClientDoc{}, etag: true, errors: []int{404, 409}},
	}
	for _, logo := range []struct{ name, what, field string }{
		{gatehouse.AssetLogo, "logo", "config.logo_uri"},
		{gatehouse.AssetLogoDark, "dark-mode logo", "config.logo_dark_mode_uri"},
	} {
		suffix := camel(logo.name)
		ops = append(ops,
			operation{method: "PUT", path: "/api/v1/clients/{id}/" + logo.name, id: "upload" + suffix, tag: clients,
				summary: "Upload the " + logo.what,
				description: "The image is the raw body, at most 256 KiB: a PNG or JPEG (recognized by its bytes), or an SVG, which is rebuilt from an allow-list; " +
					"an SVG with a script, an event handler, a foreignObject, animation, a javascript: URL or a reference outside the file is refused (422). " +
					"The logo is served from Gatehouse's origin and " + logo.field + " points there. If-Match is optional.",
				scope: cw, upload: logoTypes, ifMatch: 1, status: 200, result: ClientDoc{}, etag: true, errors: []int{404, 412, 413, 415, 422}},
			operation{method: "DELETE", path: "/api/v1/clients/{id}/" + logo.name, id: "delete" + suffix, tag: clients,
				summary: "Delete the uploaded " + logo.what, description: "Also clears " + logo.field + " when it points at the upload.",
				scope: cw, ifMatch: 1, status: 200, result: ClientDoc{}, etag: true, errors: []int{404, 412}},
			operation{method: "GET", path: "/assets/clients/{id}/" + logo.name, id: "get" + suffix, tag: clients,
				summary:     "The uploaded " + logo.what,
				description: "Public. With v set to the version in the client's logo URI the answer may be cached for a year.",
				query:       []param{{"v", "The version in the client's logo URI.", map[string]any{"type": "string"}}},
				status:      200, media: logoTypes, errors: []int{304, 404}},
		)
	}
	ops = append(ops, []operation{
		{method: "GET", path: "/api/v1/users", id: "listUsers", tag: users, summary: "List users",
			scope: ur, query: pageParams, status: 200, result: UserDoc{}, list: true, errors: []int{422}},
		{method: "POST", path: "/api/v1/users", id: "createUser", tag: users, summary: "Create a user",
			description: "With or without a password.", scope: uw, body: CreateUserInput{}, status: 201, result: UserDoc{}, etag: true,
			location: true, errors: []int{400, 409, 422}},
		{method: "POST", path: "/api/v1/users/invite", id: "inviteUser", tag: users, summary: "Invite a user",
			description: "Creates the user in status invited and returns a single-use link, valid for 7 days, where they choose a password and become active. Gatehouse sends no email: hand the link to the user.",
			scope:       uw, body: CreateUserInput{}, status: 201, result: InvitationDoc{}, etag: true, location: true, errors: []int{400, 409, 422}},
		{method: "GET", path: "/api/v1/users/{id}", id: "getUser", tag: users, summary: "Get a user",
			description: "{id} is the user's id, username or email.", scope: ur, status: 200, result: UserDoc{}, etag: true, errors: []int{404}},
		{method: "PATCH", path: "/api/v1/users/{id}", id: "updateUser", tag: users, summary: "Change a user",
			description: "Changes the fields sent. status disabled ends the user's sessions, revokes the access they gave applications and voids a pending set-password link. If-Match is optional.",
			scope:       uw, body: UserChangeInput{}, ifMatch: 1, status: 200, result: UserDoc{}, etag: true, errors: []int{400, 404, 409, 412, 422}},
		{method: "PUT", path: "/api/v1/users/{id}/roles", id: "setUserRoles", tag: users, summary: "Set a user's roles",
			scope: uw, body: RolesInput{}, ifMatch: 1, status: 200, result: UserDoc{}, etag: true, errors: []int{400, 404, 412, 422}},
		{method: "POST", path: "/api/v1/users/{id}/password", id: "setUserPassword", tag: users, summary: "Set a user's password",
			description: "An invited user becomes active. The user's sessions end and a pending set-password link is voided.",
			scope:       uw, body: PasswordInput{}, status: 200, result: UserDoc{}, etag: true, errors: []int{400, 404, 422}},
		{method: "POST", path: "/api/v1/users/{id}/password-link", id: "issuePasswordLink", tag: users, summary: "Issue a set-password link",
			description: "A single-use link, valid for 7 days, where the user chooses a new password. It replaces any earlier link. Refused (409) for a disabled user.",
			scope:       uw, body: emptyBody{}, bodyOptional: true, status: 201, result: PasswordLinkDoc{}, errors: []int{400, 404, 409, 422}},

		{method: "GET", path: "/api/v1/tenant", id: "getTenant", tag: tenant, summary: "Get the tenant's settings and branding",
			scope: tr, status: 200, result: TenantDoc{}, etag: true},
		{method: "PUT", path: "/api/v1/tenant", id: "replaceTenant", tag: tenant, summary: "Replace the tenant's settings and branding",
			description: "Name, branding, custom domains and settings; the slug and status cannot change here. If-Match is required.",
			scope:       tw, body: TenantSettingsBody{}, ifMatch: 2, status: 200, result: TenantDoc{}, etag: true, errors: []int{400, 409, 412, 422, 428}},

		{method: "GET", path: "/api/v1/tenants", id: "listTenants", tag: plat, summary: "List the platform's tenants",
			scope: gatehouse.APIScopePlatformTenantsRead, platform: true, query: pageParams, status: 200, result: TenantDoc{}, list: true, errors: []int{422}},
		{method: "POST", path: "/api/v1/tenants", id: "createTenant", tag: plat, summary: "Create a tenant",
			scope: gatehouse.APIScopePlatformTenantsWrite, platform: true, body: NewTenantBody{}, status: 201, result: TenantDoc{}, etag: true,
			location: true, errors: []int{400, 409, 422}},
		{method: "GET", path: "/api/v1/tenants/{id}", id: "getAnyTenant", tag: plat, summary: "Get a tenant",
			description: "{id} is the tenant's id or slug.", scope: gatehouse.APIScopePlatformTenantsRead, platform: true,
			status: 200, result: TenantDoc{}, etag: true, errors: []int{404}},

		{method: "GET", path: "/api/v1/audit", id: "listAudit", tag: audit, summary: "Read the audit log",
			description: "The tenant's events in chain order, oldest first, filtered.", scope: gatehouse.APIScopeAuditRead,
			query: append(append([]param{}, auditParams...), pageParams...), status: 200, result: AuditEventDoc{}, list: true, errors: []int{422}},
		{method: "GET", path: "/api/v1/audit/export", id: "exportAudit", tag: audit, summary: "Export the audit log",
			description: "Every matching event, streamed: one JSON object per line (format=jsonl, the default) or CSV with a header row (format=csv). " +
				"In CSV, a cell that starts with =, +, -, @, a tab or a carriage return gets a leading apostrophe, so spreadsheets never run it.",
			scope:  gatehouse.APIScopeAuditRead,
			query:  append([]param{{"format", "jsonl (default) or csv.", map[string]any{"type": "string", "enum": []any{"jsonl", "csv"}}}}, auditParams...),
			status: 200, media: []string{"application/x-ndjson", "text/csv"}, errors: []int{422}},

		{method: "GET", path: "/api/v1/apikeys", id: "listAPIKeys", tag: apikeys, summary: "List server API keys",
			scope: gatehouse.APIScopeAPIKeysRead, query: pageParams, status: 200, result: APIKeyDoc{}, list: true, errors: []int{422}},
		{method: "POST", path: "/api/v1/apikeys", id: "createAPIKey", tag: apikeys, summary: "Create a server API key",
			description: "The key is in the response and never shown again. The platform scopes are only for keys of the platform's own tenant.",
			scope:       gatehouse.APIScopeAPIKeysWrite, body: APIKeyBody{}, status: 201, result: APIKeyDoc{}, location: true, errors: []int{400, 422}},
		{method: "GET", path: "/api/v1/apikeys/{id}", id: "getAPIKey", tag: apikeys, summary: "Get a server API key",
			scope: gatehouse.APIScopeAPIKeysRead, status: 200, result: APIKeyDoc{}, errors: []int{404}},
		{method: "DELETE", path: "/api/v1/apikeys/{id}", id: "revokeAPIKey", tag: apikeys, summary: "Revoke a server API key",
			description: "The key stops working at once.", scope: gatehouse.APIScopeAPIKeysWrite, status: 204, errors: []int{404}},

		{method: "GET", path: "/api/v1/installkeys", id: "listInstallKeys", tag: install, summary: "List public install keys",
			scope: tr, status: 200, result: InstallKeyDoc{}, list: true},
		{method: "POST", path: "/api/v1/installkeys", id: "createInstallKey", tag: install, summary: "Create a public install key",
			scope: tw, body: emptyBody{}, bodyOptional: true, status: 201, result: InstallKeyDoc{}, location: true, errors: []int{400, 422}},
		{method: "GET", path: "/api/v1/installkeys/{id}", id: "getInstallKey", tag: install, summary: "Get a public install key",
			scope: tr, status: 200, result: InstallKeyDoc{}, errors: []int{404}},
		{method: "POST", path: "/api/v1/installkeys/{id}/rotate", id: "rotateInstallKey", tag: install, summary: "Replace a public install key",
			description: "Revokes the key and creates its successor in one step; pages must be updated with the new key.",
			scope:       tw, body: emptyBody{}, bodyOptional: true, status: 201, result: InstallKeyDoc{}, location: true, errors: []int{400, 404, 409, 422}},
		{method: "DELETE", path: "/api/v1/installkeys/{id}", id: "revokeInstallKey", tag: install, summary: "Revoke a public install key",
			scope: tw, status: 204, errors: []int{404}},
		{method: "GET", path: "/api/v1/install/{key}", id: "getWidgetSettings", tag: install, summary: "A widget's public settings",
			description: "Public, for any web page (CORS *): what a widget may know of the tenant whose install key it holds.",
			status:      200, result: WidgetSettings{}, errors: []int{404}},

		{method: "POST", path: "/api/v1/runtime/tokens", id: "mintRuntimeToken", tag: runtime, summary: "Mint a runtime token",
			description: "A short-lived token for one SDK session of one end user, to hand to the browser or app.",
			scope:       gatehouse.APIScopeRuntimeTokensWrite, body: RuntimeTokenInput{}, status: 200, result: RuntimeTokenDoc{}, errors: []int{400, 422}},
		{method: "POST", path: "/api/v1/runtime/tokens/verify", id: "verifyRuntimeToken", tag: runtime, summary: "Check a runtime token",
			description: "Public and rate limited per address; services with volume verify locally with the runtime JWKS.",
			body:        RuntimeVerifyInput{}, status: 200, result: RuntimeTokenInfo{}, errors: []int{400, 422, 429}},
		{method: "GET", path: "/api/v1/runtime/jwks.json", id: "getRuntimeJWKS", tag: runtime, summary: "Runtime token keys",
			description: "Public: the keys that sign runtime tokens (never an OAuth key).", status: 200, media: []string{"application/json"}, errors: []int{503}},
	}...)
	return ops
}

// errorResponses names the shared error responses by status.
var errorResponses = map[int]struct{ name, description string }{
	304: {"NotModified", "The copy the client holds (If-None-Match) is current."},
	400: {"Malformed", "The body is not the JSON the endpoint takes (code malformed)."},
	401: {"Unauthorized", "No valid server API key, and no dashboard session on this issuer (code unauthorized)."},
	403: {"Forbidden", "The key lacks the scope, belongs to another issuer's tenant, its tenant is disabled, or the request came from a browser; " +
		"or a dashboard session's user is not an owner or admin, the request is not same-origin, or the rules of who may change whom refuse the change (code forbidden)."},
	404: {"NotFound", "No such object in the key's tenant (code not_found)."},
	409: {"Conflict", "A unique value is taken, or the object's state forbids the change (code conflict)."},
	412: {"PreconditionFailed", "If-Match does not name the current version (code precondition_failed): read the object again and reapply the change."},
	413: {"TooLarge", "The upload is over its size limit (code too_large)."},
	415: {"UnsupportedMediaType", "The upload is not of a type the endpoint takes (code unsupported_media_type)."},
	422: {"Invalid", "Input failed validation (code invalid); fields names each problem by its JSON path."},
	428: {"PreconditionRequired", "The change needs If-Match with the ETag read (code precondition_required)."},
	429: {"TooManyRequests", "Too many requests from this address (code rate_limited); see Retry-After."},
	501: {"NotImplemented", "This server cannot do what was asked (code not_supported)."},
	503: {"Unavailable", "A dependency cannot serve now (code unavailable); try again."},
}

var pathParam = regexp.MustCompile(`\{([a-z]+)\}`)

// OpenAPI returns the OpenAPI 3.1 document of the API, indented, with a
// final newline: the bytes of docs/openapi.json.
func OpenAPI() []byte {
	g := &schemaGen{defs: map[string]any{}}
	paths := map[string]any{}
	tagSeen := map[string]bool{}
	var tags []any
	for _, op := range operations() {
		if !tagSeen[op.tag] {
			tagSeen[op.tag] = true
			tags = append(tags, map[string]any{"name": op.tag})
		}
		item, _ := paths[op.path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[op.path] = item
		}
		item[strings.ToLower(op.method)] = g.operation(op)
	}
	responses := map[string]any{}
	for status, r := range errorResponses {
		resp := map[string]any{"description": r.description}
		if status != 304 {
			resp["content"] = map[string]any{"application/json": map[string]any{"schema": g.of(reflect.TypeFor[errorDoc]())}}
		}
		responses[r.name] = resp
	}
	codes := make([]any, 0, len(ErrorCodes()))
	for _, c := range ErrorCodes() {
		codes = append(codes, c)
	}
	g.defs["ErrorBody"].(map[string]any)["properties"].(map[string]any)["code"] = map[string]any{
		"type": "string", "enum": codes, "description": "Stable; see the error codes in the API guide."}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":   "Gatehouse management API",
			"version": "1",
			"description": "Manage a tenant's OAuth clients, users and roles, keys, settings and audit log. " +
				"Authenticate with a server API key (Authorization: Bearer gth_sk_...) from a backend: a request that comes from a browser is refused. " +
				"From the dashboard's own pages, the session of a tenant owner or admin is accepted instead, for same-origin requests only. " +
				"Errors are JSON {\"error\": {\"code\", \"message\", \"fields\"}}. Lists are paged with limit and cursor. " +
				"Versioned objects carry an ETag; changes take If-Match.",
		},
		"servers": []any{map[string]any{"url": "{issuer}", "description": "The platform issuer, or a tenant's issuer for that tenant's keys.",
			"variables": map[string]any{"issuer": map[string]any{"default": "https://login.example.com"}}}},
		"tags":  tags,
		"paths": paths,
		"components": map[string]any{
			"schemas":   g.defs,
			"responses": responses,
			"securitySchemes": map[string]any{
				"apiKey": map[string]any{
					"type": "http", "scheme": "bearer", "bearerFormat": "gth_sk_...",
					"description": "A server API key of the tenant. Each operation lists the scope it needs.",
				},
				"session": map[string]any{
					"type": "apiKey", "in": "cookie", "name": "__Host-gatehouse_session",
					"description": "The dashboard session of a user with the owner or admin role in the tenant (gatehouse_session on a plain-http loopback issuer), " +
						"sent by the browser without an Authorization header. It holds every scope but the platform.* ones and acts as user:<id>, " +
						"under the rules of who may change whom. Only same-origin requests are accepted: Sec-Fetch-Site must be same-origin " +
						"and Origin, when sent, the issuer's; any other is 403, reads included.",
				},
			},
			"headers": map[string]any{
				"ETag":     map[string]any{"description": "The object's version; send it back in If-Match to change it.", "schema": map[string]any{"type": "string"}},
				"Location": map[string]any{"description": "Where the new object is.", "schema": map[string]any{"type": "string"}},
			},
		},
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		// Maps of strings and slices always encode; this cannot happen.
		return []byte("{}\n")
	}
	return append(b, '\n')
}

// operation renders one operation object.
func (g *schemaGen) operation(op operation) map[string]any {
	o := map[string]any{"operationId": op.id, "summary": op.summary, "tags": []any{op.tag}}
	desc := op.description
	if op.scope != "" {
		// A dashboard session holds every scope but the platform's.
		sec := []any{map[string]any{"apiKey": []any{op.scope}}}
		if !op.platform {
			sec = append(sec, map[string]any{"session": []any{}})
		}
		o["security"] = sec
		scope := "Scope: " + op.scope + "."
		if op.platform {
			scope += " Only for keys of the tenant marked as the platform's own; a dashboard session cannot call it."
		}
		desc = strings.TrimSpace(desc + "\n\n" + scope)
	} else {
		o["security"] = []any{}
	}
	if desc != "" {
		o["description"] = desc
	}
	var params []any
	for _, m := range pathParam.FindAllStringSubmatch(op.path, -1) {
		desc := pathParams[m[0]]
		if m[1] == "id" {
			before, _, _ := strings.Cut(op.path, "/{id}")
			desc = pathParams[before[strings.LastIndex(before, "/")+1:]+"/{id}"]
			if strings.HasPrefix(op.path, "/assets/") {
				desc = "The client's registration id."
			}
		}
		params = append(params, map[string]any{"name": m[1], "in": "path", "required": true,
			"description": desc, "schema": map[string]any{"type": "string"}})
	}
	for _, q := range op.query {
		params = append(params, map[string]any{"name": q.name, "in": "query", "description": q.description, "schema": q.schema})
	}
	if op.ifMatch > 0 {
		params = append(params, map[string]any{"name": "If-Match", "in": "header", "required": op.ifMatch == 2,
			"description": "The ETag of the version read.", "schema": map[string]any{"type": "string"}})
	}
	if len(params) > 0 {
		o["parameters"] = params
	}
	switch {
	case op.body != nil:
		o["requestBody"] = map[string]any{"required": !op.bodyOptional,
			"content": map[string]any{"application/json": map[string]any{"schema": g.of(reflect.TypeOf(op.body))}}}
	case len(op.upload) > 0:
		content := map[string]any{}
		for _, t := range op.upload {
			content[t] = map[string]any{"schema": map[string]any{"type": "string", "contentMediaType": t}}
		}
		o["requestBody"] = map[string]any{"required": true, "content": content}
	}
	ok := map[string]any{"description": http.StatusText(op.status)}
	switch {
	case op.result != nil && op.list:
		ok["content"] = map[string]any{"application/json": map[string]any{"schema": g.listSchema(reflect.TypeOf(op.result))}}
	case op.result != nil:
		ok["content"] = map[string]any{"application/json": map[string]any{"schema": g.of(reflect.TypeOf(op.result))}}
	case len(op.media) > 0:
		content := map[string]any{}
		for _, t := range op.media {
			s := map[string]any{"type": "string", "contentMediaType": t}
			if t == "application/json" {
				s = map[string]any{"type": "object"}
			}
			content[t] = map[string]any{"schema": s}
		}
		ok["content"] = content
	}
	headers := map[string]any{}
	if op.etag {
		headers["ETag"] = map[string]any{"$ref": "#/components/headers/ETag"}
	}
	if op.location {
		headers["Location"] = map[string]any{"$ref": "#/components/headers/Location"}
	}
	if len(headers) > 0 {
		ok["headers"] = headers
	}
	responses := map[string]any{strconv.Itoa(op.status): ok}
	statuses := slices.Clone(op.errors)
	if op.scope != "" {
		statuses = append([]int{401, 403}, statuses...)
	}
	if op.ifMatch > 0 && !slices.Contains(statuses, 428) {
		// Even where If-Match is optional, "*" is refused.
		statuses = append(statuses, 428)
	}
	if strings.HasPrefix(op.path, "/api/") && len(op.upload) == 0 && !slices.Contains(statuses, 415) {
		// The API refuses a body that is not declared as JSON.
		statuses = append(statuses, 415)
	}
	for _, st := range statuses {
		responses[strconv.Itoa(st)] = map[string]any{"$ref": "#/components/responses/" + errorResponses[st].name}
	}
	o["responses"] = responses
	return o
}

// camel turns "logo-dark" into "LogoDark", for operation ids.
func camel(s string) string {
	var b strings.Builder
	for _, part := range strings.Split(s, "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

// emptyBody is the body of an endpoint that takes no parameters but
// accepts "{}".
type emptyBody struct{}

// serveOpenAPI serves the document to anyone: it describes the API, not a
// tenant.
func (api *API) serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Content-Length", strconv.Itoa(len(api.openapi)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(api.openapi)
	}
}
