package provider

import (
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/gatehouse-id/gatehouse"
)

// Paths of the provider's endpoints, relative to the issuer.
const (
	pathOpenIDConfiguration = "/.well-known/openid-configuration"
	pathAuthorizationServer = "/.well-known/oauth-authorization-server"
	pathAuthorize           = "/oauth/authorize"
	pathToken               = "/oauth/token"
	pathUserinfo            = "/oauth/userinfo"
	pathJWKS                = "/oauth/jwks.json"
	pathRevoke              = "/oauth/revoke"
	pathIntrospect          = "/oauth/introspect"
	pathLogout              = "/oauth/logout"
)

// discoveryMaxAge is how long clients and caches may keep a metadata
// document. It is short so that a change of supported features reaches
// relying parties the same day.
const discoveryMaxAge = 5 * time.Minute

// idTokenClaims are the claims an ID token carries besides the scope
// claims (OpenID Connect Core §2).
var idTokenClaims = []string{"iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "sid", "amr", "acr"}

// metadata is the authorization server metadata: OpenID Connect Discovery
// 1.0 §3 and RFC 8414 §2, which share their names. Fields are listed in
// the order they are served. A false boolean is written out, since some of
// them (request_uri_parameter_supported) default to true when absent.
type metadata struct {
	Issuer                                     string   `json:"issuer"`
	AuthorizationEndpoint                      string   `json:"authorization_endpoint"`
	TokenEndpoint                              string   `json:"token_endpoint"`
	UserinfoEndpoint                           string   `json:"userinfo_endpoint"`
	JWKSURI                                    string   `json:"jwks_uri"`
	RevocationEndpoint                         string   `json:"revocation_endpoint"`
	IntrospectionEndpoint                      string   `json:"introspection_endpoint"`
	EndSessionEndpoint                         string   `json:"end_session_endpoint"`
	ScopesSupported                            []string `json:"scopes_supported"`
	ResponseTypesSupported                     []string `json:"response_types_supported"`
	ResponseModesSupported                     []string `json:"response_modes_supported"`
	GrantTypesSupported                        []string `json:"grant_types_supported"`
	SubjectTypesSupported                      []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported           []string `json:"id_token_signing_alg_values_supported"`
	TokenEndpointAuthMethodsSupported          []string `json:"token_endpoint_auth_methods_supported"`
	RevocationEndpointAuthMethodsSupported     []string `json:"revocation_endpoint_auth_methods_supported"`
	IntrospectionEndpointAuthMethodsSupported  []string `json:"introspection_endpoint_auth_methods_supported"`
	CodeChallengeMethodsSupported              []string `json:"code_challenge_methods_supported"`
	ClaimsSupported                            []string `json:"claims_supported"`
	ClaimTypesSupported                        []string `json:"claim_types_supported"`
	PromptValuesSupported                      []string `json:"prompt_values_supported"`
	DisplayValuesSupported                     []string `json:"display_values_supported"`
	AuthorizationResponseIssParameterSupported bool     `json:"authorization_response_iss_parameter_supported"`
	RequestParameterSupported                  bool     `json:"request_parameter_supported"`
	RequestURIParameterSupported               bool     `json:"request_uri_parameter_supported"`
	ClaimsParameterSupported                   bool     `json:"claims_parameter_supported"`
	FrontchannelLogoutSupported                bool     `json:"frontchannel_logout_supported"`
	BackchannelLogoutSupported                 bool     `json:"backchannel_logout_supported"`
}

// newMetadata describes what the provider implements, for one issuer.
// Only the authorization code flow exists: the implicit and hybrid flows
// and the password grant are refused on purpose (OAuth 2.0 Security BCP).
func (p *Provider) newMetadata(issuer string) metadata {
	claims := append(p.scopes.Claims(), idTokenClaims...)
	slices.Sort(claims)
	claims = slices.Compact(claims)
	return metadata{
		Issuer:                 issuer,
		AuthorizationEndpoint:  issuer + pathAuthorize,
		TokenEndpoint:          issuer + pathToken,
		UserinfoEndpoint:       issuer + pathUserinfo,
		JWKSURI:                issuer + pathJWKS,
		RevocationEndpoint:     issuer + pathRevoke,
		IntrospectionEndpoint:  issuer + pathIntrospect,
		EndSessionEndpoint:     issuer + pathLogout,
		ScopesSupported:        p.scopes.AvailableNames(),
		ResponseTypesSupported: []string{"code"},
		ResponseModesSupported: []string{"query", "form_post"},
		// Exactly the grants the token endpoint serves; the JWT bearer
		// grant (RFC 7523) takes the JWT credentials users create.
		GrantTypesSupported: []string{
			gatehouse.GrantAuthorizationCode,
			gatehouse.GrantRefreshToken,
			gatehouse.GrantClientCredentials,
			gatehouse.GrantJWTBearer,
		},
		SubjectTypesSupported:            []string{"public"},
		IDTokenSigningAlgValuesSupported: []string{"RS256", "ES256", "EdDSA"},
		TokenEndpointAuthMethodsSupported: []string{
			"client_secret_basic", "client_secret_post", "none",
		},
		// RFC 7009 §2.1: a public client revokes its own tokens with its
		// client_id alone.
		RevocationEndpointAuthMethodsSupported: []string{
			"client_secret_basic", "client_secret_post", "none",
		},
		// RFC 7662 §2.1: introspection requires authentication.
		IntrospectionEndpointAuthMethodsSupported: []string{
			"client_secret_basic", "client_secret_post",
		},
		CodeChallengeMethodsSupported: []string{"S256"},
		ClaimsSupported:               claims,
		ClaimTypesSupported:           []string{"normal"},
		PromptValuesSupported:         []string{"none", "login", "consent", "select_account"},
		DisplayValuesSupported:        []string{"page"},
		// RFC 9207: authorization responses carry iss.
		AuthorizationResponseIssParameterSupported: true,
	}
}

// discoveryDocument returns the metadata document of an issuer, built and
// encoded on first use, so that serving it costs no JSON encoding.
func (p *Provider) discoveryDocument(issuer string) ([]byte, error) {
	return p.discovery.get(issuer, func() ([]byte, error) {
		return json.Marshal(p.newMetadata(issuer))
	})
}

// serveDiscovery serves the metadata of the request's issuer at both
// /.well-known/openid-configuration (OpenID Connect Discovery §4) and
// /.well-known/oauth-authorization-server (RFC 8414 §3). The documents are
// the same: the OpenID fields are registered RFC 8414 metadata too.
func (p *Provider) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	iss, ok := p.issuer(w, r)
	if !ok {
		return
	}
	doc, err := p.discoveryDocument(iss.URL)
	if err != nil {
		p.log.Error("encode discovery metadata", "issuer", iss.URL, "err", err)
		writeError(w, http.StatusInternalServerError, "server_error", "internal error")
		return
	}
	writePublic(w, r, doc, discoveryMaxAge)
}
