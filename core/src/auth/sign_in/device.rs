//! The device authorization grant (RFC 8628): for machines without a browser, the user
//! approves the sign-in on another device while the program polls the token endpoint.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;

use super::{auth_error, session_api, Session};
use crate::auth::token::{self, Endpoint};
use crate::auth::BoxError;

/// RFC 8628 §3.2: the polling interval when the server names none.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
/// RFC 8628 §3.5: what `slow_down` adds to the interval.
const SLOW_DOWN: Duration = Duration::from_secs(5);
/// The longest interval honoured, so that a hostile value cannot park the program.
const MAX_INTERVAL: Duration = Duration::from_secs(300);

/// What the user needs to approve a device sign-in, handed to the
/// [`on_code`](OAuth2Device::on_code) callback to show.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct DeviceCode {
    /// The code the user types (`WDJB-MJHT`).
    pub user_code: String,
    /// Where the user types it.
    pub verification_uri: String,
    /// The same address with the code in it, when the server gives one (for a QR code).
    pub verification_uri_complete: Option<String>,
    /// How long the code is valid.
    pub expires_in: Duration,
}

type Shower = Arc<dyn Fn(&DeviceCode) + Send + Sync>;

/// A user signed in with the device flow, made by
/// [`Auth::oauth2_device`](crate::Auth::oauth2_device).
///
/// [`sign_in`](Self::sign_in) asks the device authorization endpoint for a code, hands the
/// user code and the verification address to the [`on_code`](Self::on_code) callback
/// (default: printed on stderr), then polls the token endpoint every `interval` seconds (5
/// when the server names none), 5 s more after each `slow_down`, until the user approves, the
/// code expires (`expired_token`) or the user refuses (`access_denied`); each ends as RFC 8628
/// §3.5 says, the last two as an [`ErrorKind::Auth`](crate::ErrorKind::Auth) error that says
/// so. Waiting uses `tokio::time`, so paused-clock tests control it.
///
/// After that it is an [`Authenticate`](crate::Authenticate) that refreshes like
/// [`OAuth2AuthorizationCode`](super::OAuth2AuthorizationCode): ahead of expiry, once after a
/// 401, one refresh for every waiting call, the newest refresh token stored.
///
/// ```no_run
/// # async fn demo() -> restrait::Result<()> {
/// use restrait::auth::Auth;
///
/// let auth = Auth::oauth2_device(
///     "https://auth.example.com/device/code",
///     "https://auth.example.com/token",
///     "my-cli",
///     ["offline_access"],
/// )
/// .on_code(|code| println!("Go to {} and enter {}", code.verification_uri, code.user_code));
/// auth.sign_in().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct OAuth2Device {
    session: Session,
    device_url: String,
    shower: Shower,
}

impl OAuth2Device {
    pub(in crate::auth) fn new(device_url: String, token_url: String, client_id: String, scopes: Vec<String>) -> Self {
        OAuth2Device {
            session: Session::new(token_url, client_id, scopes),
            device_url,
            shower: Arc::new(|code| match &code.verification_uri_complete {
                Some(complete) => eprintln!(
                    "To sign in, open {complete}\n(or open {} and enter the code {})",
                    code.verification_uri, code.user_code
                ),
                None => eprintln!("To sign in, open {} and enter the code {}", code.verification_uri, code.user_code),
            }),
        }
    }

    /// Shows the user code and where to enter it. Default: printed on stderr.
    pub fn on_code(mut self, show: impl Fn(&DeviceCode) + Send + Sync + 'static) -> Self {
        self.shower = Arc::new(show);
        self
    }

    fn device_endpoint(&self) -> Endpoint<'_> {
        Endpoint { what: "device authorization endpoint", url: &self.device_url, timeout: self.session.config.timeout }
    }

    fn check(&self) -> Result<(), BoxError> {
        self.device_endpoint().check()?;
        self.session.validate()
    }

    /// Signs the user in with the device flow and stores the tokens. Returns when the user
    /// approved; an [`ErrorKind::Auth`](crate::ErrorKind::Auth) error when the code expired,
    /// the user refused, or a server failed.
    pub async fn sign_in(&self) -> crate::Result<()> {
        self.check().map_err(|e| auth_error(e.to_string()))?;
        let endpoint = self.device_endpoint();
        let scope = self.session.scope();
        let mut form = Vec::new();
        if !scope.is_empty() {
            form.push(("scope", scope.as_str()));
        }
        let answer = self.session.post(&endpoint, form).await.map_err(auth_error)?;
        let issued_at = Instant::now();
        if !answer.status.is_success() {
            return Err(auth_error(endpoint.failure(&answer)));
        }
        let grant = read_device_answer(answer.json.as_ref())
            .map_err(|why| auth_error(format!("{} answered {}, but {why}", endpoint.name(), answer.status)))?;
        (self.shower)(&grant.shown);
        let expires = issued_at.checked_add(grant.shown.expires_in);

        let mut interval = grant.interval;
        loop {
            tokio::time::sleep(interval).await;
            if expires.is_some_and(|at| Instant::now() >= at) {
                return Err(expired());
            }
            let started = Instant::now();
            let answer = self
                .session
                .redeem(vec![
                    ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                    ("device_code", grant.device_code.expose_secret()),
                ])
                .await
                .map_err(auth_error)?;
            if answer.status.is_success() {
                return self.session.signed_in(&answer, started).await;
            }
            match answer.error_code() {
                Some("authorization_pending") => {}
                Some("slow_down") => {
                    interval = (interval + SLOW_DOWN).min(MAX_INTERVAL);
                    tracing::debug!(interval_s = interval.as_secs(), "restrait: the token endpoint asked to slow down");
                }
                Some("expired_token") => return Err(expired()),
                Some("access_denied") => {
                    return Err(auth_error(format!(
                        "the sign-in was refused at {}: the user denied the request (access_denied)",
                        grant.shown.verification_uri
                    )))
                }
                _ => return Err(auth_error(self.session.token_endpoint().failure(&answer))),
            }
        }
    }
}

fn expired() -> crate::Error {
    auth_error("the device code expired before the sign-in was approved (expired_token): call `sign_in` again")
}

session_api!(OAuth2Device);

struct DeviceGrant {
    device_code: SecretString,
    shown: DeviceCode,
    interval: Duration,
}

/// Reads RFC 8628 §3.2. Messages name fields, never the device code.
fn read_device_answer(json: Option<&serde_json::Value>) -> Result<DeviceGrant, String> {
    let Some(serde_json::Value::Object(fields)) = json else {
        return Err("its body is not a JSON object (RFC 8628 §3.2)".into());
    };
    let text = |name: &str| fields.get(name).and_then(|v| v.as_str()).filter(|s| !s.is_empty()).map(str::to_string);
    let device_code = text("device_code").ok_or("the body has no `device_code`")?;
    let user_code = text("user_code").ok_or("the body has no `user_code`")?;
    // `verification_url`: the name some servers used before RFC 8628 settled on `_uri`.
    let verification_uri =
        text("verification_uri").or_else(|| text("verification_url")).ok_or("the body has no `verification_uri`")?;
    let expires_in = match fields.get("expires_in") {
        Some(value) => token::seconds(value).ok_or("`expires_in` is not a number of seconds")?,
        None => return Err("the body has no `expires_in`".into()),
    }
    .unwrap_or(Duration::MAX);
    let interval = match fields.get("interval") {
        None | Some(serde_json::Value::Null) => DEFAULT_INTERVAL,
        Some(value) => token::seconds(value).ok_or("`interval` is not a number of seconds")?.unwrap_or(MAX_INTERVAL),
    }
    .min(MAX_INTERVAL);
    Ok(DeviceGrant {
        device_code: SecretString::from(device_code),
        shown: DeviceCode {
            user_code: crate::error::one_line(&user_code, 64),
            verification_uri: crate::error::one_line(&verification_uri, 500),
            verification_uri_complete: text("verification_uri_complete").map(|u| crate::error::one_line(&u, 500)),
            expires_in,
        },
        interval,
    })
}

impl fmt::Debug for OAuth2Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("OAuth2Device");
        s.field("device_authorization_url", &self.device_endpoint().redacted_url());
        self.session.debug_fields(&mut s);
        s.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_answers_are_read_per_rfc_8628() {
        let body = serde_json::json!({
            "device_code": "d", "user_code": "WDJB-MJHT", "verification_uri": "https://a/device",
            "expires_in": 600
        });
        let grant = read_device_answer(Some(&body)).unwrap();
        assert_eq!(grant.interval, DEFAULT_INTERVAL);
        assert_eq!(grant.shown.expires_in, Duration::from_secs(600));
        let hostile = serde_json::json!({
            "device_code": "d", "user_code": "u", "verification_url": "v", "expires_in": 1e300, "interval": 1e12
        });
        let grant = read_device_answer(Some(&hostile)).unwrap();
        assert_eq!(grant.interval, MAX_INTERVAL);
        assert_eq!(grant.shown.verification_uri, "v");
        let missing = serde_json::json!({"user_code": "u"});
        assert_eq!(read_device_answer(Some(&missing)).err().unwrap(), "the body has no `device_code`");
    }
}
