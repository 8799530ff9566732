//! Who may call the app, and the headers every answer carries.
//!
//! Scripts authenticate with `Authorization: Bearer TOKEN`. Pages hold a session cookie
//! (`HttpOnly`, `SameSite=Strict`) set by the login page, or, without a token, on the first visit;
//! the session carries an anti-CSRF token that every state-changing request from a page must send
//! back (a form field or the `X-CSRF-Token` header). A request whose `Origin` is another site is
//! refused, and so is a `Host` the app is not bound to (DNS rebinding).

use std::collections::HashMap;
use std::sync::Mutex;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use crate::Shared;
use crate::api::ApiError;

pub const COOKIE: &str = "threatscribe_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The most sessions kept; past it the oldest are forgotten (their pages must log in again).
const MAX_SESSIONS: usize = 10_000;

/// The Content-Security-Policy of every answer: no inline script, nothing from elsewhere.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

#[derive(Clone)]
struct Session {
    csrf: String,
    /// Logged in with the token (always false when the app has none).
    authenticated: bool,
    created: u64,
}

#[derive(Default)]
pub struct Sessions {
    map: Mutex<HashMap<String, Session>>,
    counter: Mutex<u64>,
}

impl Sessions {
    fn get(&self, id: &str) -> Option<Session> {
        self.lock().get(id).cloned()
    }

    /// A new session; returns its id and anti-CSRF token.
    pub fn create(&self, authenticated: bool) -> (String, String) {
        let id = generate_token();
        let csrf = generate_token();
        let created = {
            let mut counter = self
                .counter
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            *counter += 1;
            *counter
        };
        let mut map = self.lock();
        if map.len() >= MAX_SESSIONS {
            let oldest: Vec<String> = {
                let mut all: Vec<(&String, u64)> =
                    map.iter().map(|(k, s)| (k, s.created)).collect();
                all.sort_by_key(|(_, c)| *c);
                all.iter()
                    .take(MAX_SESSIONS / 10)
                    .map(|(k, _)| (*k).clone())
                    .collect()
            };
            for key in oldest {
                map.remove(&key);
            }
        }
        map.insert(
            id.clone(),
            Session {
                csrf: csrf.clone(),
                authenticated,
                created,
            },
        );
        (id, csrf)
    }

    pub fn remove(&self, id: &str) {
        self.lock().remove(id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// 32 random bytes as hex: session ids, CSRF tokens, and the token generated for `serve`.
pub fn generate_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system gives random bytes");
    bytes.iter().fold(String::new(), |mut out, b| {
        use std::fmt::Write as _;
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// Compares secrets in time that does not depend on where they differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Who made a request, for the handlers.
#[derive(Clone, Debug)]
pub enum Caller {
    /// A script: a valid bearer token, or no token configured and no browser session.
    Script,
    /// A page, with its session id and anti-CSRF token.
    Page { session: String, csrf: String },
}

impl Caller {
    /// True when `token` is this page's anti-CSRF token (scripts need none).
    pub fn csrf_ok(&self, token: Option<&str>) -> bool {
        match self {
            Caller::Script => true,
            Caller::Page { csrf, .. } => token.is_some_and(|t| same(t, csrf)),
        }
    }

    pub fn csrf(&self) -> &str {
        match self {
            Caller::Script => "",
            Caller::Page { csrf, .. } => csrf,
        }
    }
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| axum_extra::extract::cookie::Cookie::parse(pair.trim().to_owned()).ok())
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// The `Set-Cookie` value of a session.
pub fn session_cookie(id: &str) -> HeaderValue {
    let cookie = axum_extra::extract::cookie::Cookie::build((COOKIE, id.to_owned()))
        .path("/")
        .http_only(true)
        .same_site(axum_extra::extract::cookie::SameSite::Strict)
        .build();
    HeaderValue::from_str(&cookie.to_string()).expect("a session cookie is a valid header")
}

/// Every request passes here: Host, Origin and size checks, authentication, CSRF for API calls
/// from pages, and the security headers of the answer.
pub async fn guard(State(state): State<Shared>, mut request: Request, next: Next) -> Response {
    let headers = request.headers().clone();
    let path = request.uri().path().to_owned();
    let is_api = path.starts_with("/api/");
    let unsafe_method = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if let Err(refusal) = screen(&state, &headers, unsafe_method) {
        return refused(request, &state, refusal.into_response(), is_api).await;
    }
    let (caller, new_cookie) = match identify(&state, &headers, &path, is_api, unsafe_method) {
        Ok(found) => found,
        Err(response) => return refused(request, &state, *response, is_api).await,
    };
    // API calls from pages send the token in a header; forms send it as a field, which their
    // handlers check.
    if is_api && unsafe_method {
        let sent = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        if !caller.csrf_ok(sent) {
            let refusal = ApiError::new(
                StatusCode::FORBIDDEN,
                "missing or wrong anti-CSRF token (X-CSRF-Token)",
            );
            return refused(request, &state, refusal.into_response(), true).await;
        }
    }
    request.extensions_mut().insert(caller);
    let mut response = next.run(request).await;
    if let Some(id) = new_cookie {
        response
            .headers_mut()
            .append(header::SET_COOKIE, session_cookie(&id));
    }
    secured(response, is_api)
}

/// Every refusal of the guard, once the refused request's body is read (up to the size limit)
/// and dropped. A connection closed with a body still unread is reset by the kernel, and the
/// client may lose the refusal already sent: a page's PUT without its token then saw "peer
/// disconnected", not the 403 that says why (one run in five of the CSRF test). A body announced
/// larger than the limit is not read: sparing that is what the limit is for.
async fn refused(request: Request, state: &Shared, refusal: Response, is_api: bool) -> Response {
    if announced_length(request.headers()).is_none_or(|length| length <= state.max_body) {
        // A body that fails to read or runs over the limit changes nothing: the refusal stands.
        let _ = axum::body::to_bytes(request.into_body(), state.max_body).await;
    }
    secured(refusal, is_api)
}

/// The body length a request announces (`Content-Length`), when it announces one.
fn announced_length(headers: &HeaderMap) -> Option<usize> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
}

/// Refuses a foreign `Host` (DNS rebinding), a state change from another site's page, and a
/// body announced larger than the limit (before it is read).
fn screen(state: &Shared, headers: &HeaderMap, unsafe_method: bool) -> Result<(), ApiError> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if !state.hosts.is_empty() && !state.hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("Host `{host}` is not this server"),
        ));
    }
    // Browsers say where a request comes from: `Sec-Fetch-Site` (all current ones), else
    // `Origin`. A state change from any other site is refused.
    if unsafe_method {
        let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
        let origin = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok());
        let foreign = match (fetch_site, origin) {
            (Some(site), _) => !matches!(site, "same-origin" | "none"),
            (None, Some(origin)) => origin.split_once("://").map(|(_, rest)| rest) != Some(host),
            (None, None) => false,
        };
        if foreign {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!(
                    "cross-site request refused (from {})",
                    origin.or(fetch_site).unwrap_or("another site")
                ),
            ));
        }
    }
    if announced_length(headers).is_some_and(|length| length > state.max_body) {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the request body is larger than {} bytes, the most this server takes (raise it with serve --max-body-mib)",
                state.max_body
            ),
        ));
    }
    Ok(())
}

/// Who is calling, and the id of a session to set when one was just made; or the answer for a
/// caller that may not come in.
fn identify(
    state: &Shared,
    headers: &HeaderMap,
    path: &str,
    is_api: bool,
    unsafe_method: bool,
) -> Result<(Caller, Option<String>), Box<Response>> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let session = cookie(headers, COOKIE).and_then(|id| state.sessions.get(&id).map(|s| (id, s)));
    let fresh = || {
        let (id, csrf) = state.sessions.create(false);
        (
            Caller::Page {
                session: id.clone(),
                csrf,
            },
            Some(id),
        )
    };
    match (&state.token, bearer, session) {
        (Some(token), Some(given), _) if same(token, given) => Ok((Caller::Script, None)),
        (Some(_), Some(_), _) => Err(Box::new(
            ApiError::new(StatusCode::UNAUTHORIZED, "the bearer token is wrong").into_response(),
        )),
        (None, Some(_), _) => Ok((Caller::Script, None)),
        (_, None, Some((id, s))) if s.authenticated || state.token.is_none() => Ok((
            Caller::Page {
                session: id,
                csrf: s.csrf,
            },
            None,
        )),
        (Some(_), None, pre_login) => {
            if path == "/login" || path.starts_with("/assets/") {
                Ok(pre_login.map_or_else(fresh, |(id, s)| {
                    (
                        Caller::Page {
                            session: id,
                            csrf: s.csrf,
                        },
                        None,
                    )
                }))
            } else if is_api || unsafe_method {
                Err(Box::new(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "this server needs its token: send `Authorization: Bearer TOKEN`, or log in at /login",
                )
                .into_response()))
            } else {
                Err(Box::new(Redirect::to("/login").into_response()))
            }
        }
        (None, None, _) => {
            let browser = headers.contains_key(header::ORIGIN)
                || headers.contains_key("sec-fetch-site")
                || headers.contains_key(header::COOKIE);
            Ok(if is_api && !browser {
                (Caller::Script, None)
            } else {
                fresh()
            })
        }
    }
}

/// Adds the security headers.
fn secured(mut response: Response, api: bool) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if api || !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_hex() {
        let a = generate_token();
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, generate_token());
        assert!(same(&a, &a.clone()) && !same(&a, &generate_token()) && !same("a", "ab"));
    }
}
