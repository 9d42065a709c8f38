//! Signing a person in, against a real OpenID provider on loopback (oidc-provider, see
//! `support/oidc.rs`): the authorization-code flow with PKCE through a scripted browser and
//! the loopback callback, a forged `state` refused, a confidential client's secret sent with
//! HTTP Basic (and a wrong one refused), the device flow with `slow_down` honoured (paused
//! clock) and ended by `expired_token` or by the code's own expiry, refresh-token rotation,
//! one refresh for a hundred concurrent calls, and the tokens kept out of `Debug`, errors and
//! traces.

mod support;

use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

use restrait::auth::{FileTokenStore, MemoryTokenStore, OAuth2AuthorizationCode, StoredToken, TokenStore};
use restrait::{api, get, Auth, ErrorKind, Result};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use support::oidc::{
    in_real_time, protected_api, Browser, Provider, Relay, CLIENT_ID, CONFIDENTIAL_ID, CONFIDENTIAL_SECRET,
};

#[derive(Debug, Deserialize)]
struct Me {
    sub: String,
}

#[api(base = "http://127.0.0.1:1")]
trait Account {
    #[get("/me")]
    async fn me(&self) -> Result<Me>;
}

const REFRESH: &str = "refresh_token";
const CODE: &str = "authorization_code";
const POLL: &str = "urn:ietf:params:oauth:grant-type:device_code";

fn client(api: &str, auth: impl restrait::Authenticate + 'static) -> AccountClient {
    AccountClient::builder().base_url(api).auth(auth).build().unwrap()
}

/// The code flow's authenticator, whose authorization URL the returned receiver gets.
fn code_flow(
    provider: &Provider,
    relay: &Relay,
) -> (OAuth2AuthorizationCode, tokio::sync::mpsc::UnboundedReceiver<restrait::http::Uri>) {
    let (urls, opened) = tokio::sync::mpsc::unbounded_channel();
    let auth = Auth::oauth2_authorization_code(
        provider.url("/auth"),
        relay.url("/token"),
        CLIENT_ID,
        ["openid", "offline_access"],
    )
    // oidc-provider grants `offline_access` (a refresh token) only when consent is asked for.
    .authorize_param("prompt", "consent")
    .open_with(move |url| {
        urls.send(url.as_str().parse().unwrap()).unwrap();
        Ok(())
    });
    (auth, opened)
}

/// Signs in with the code flow, the scripted browser following the provider's redirects back
/// to the loopback callback.
async fn signed_in(provider: &Provider, relay: &Relay, store: impl TokenStore + 'static) -> OAuth2AuthorizationCode {
    let (auth, mut opened) = code_flow(provider, relay);
    let auth = auth.store(store);
    let browser = tokio::spawn(async move {
        let url = opened.recv().await.unwrap();
        Browser::new().open(&url.to_string()).await
    });
    auth.sign_in().await.unwrap();
    let page = browser.await.unwrap();
    assert_eq!(page.status, 200, "{}", page.body);
    auth
}

#[tokio::test]
async fn the_code_flow_with_pkce_signs_in_through_a_scripted_browser() {
    let provider = Provider::start();
    let relay = Relay::start(&provider).await;
    let (api, _) = protected_api(&provider).await;
    let (auth, mut opened) = code_flow(&provider, &relay);

    let browser = tokio::spawn(async move {
        let url = opened.recv().await.unwrap();
        let page = Browser::new().open(&url.to_string()).await;
        (url, page)
    });
    auth.sign_in().await.unwrap();
    let (url, page) = browser.await.unwrap();

    let query: Vec<(String, String)> = serde_html_form::from_str(url.query().unwrap()).unwrap();
    let param = |name: &str| query.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    assert_eq!(param("code_challenge_method").as_deref(), Some("S256"));
    assert_eq!(param("code_challenge").map(|c| c.len()), Some(43));
    assert!(param("redirect_uri").unwrap().starts_with("http://127.0.0.1:"));
    assert!(param("state").is_some_and(|s| s.len() >= 22));
    // The browser ended on the loopback callback, which answered with a short page.
    assert!(page.url.starts_with(&param("redirect_uri").unwrap()), "{}", page.url);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("You are signed in"), "{}", page.body);
    assert_eq!(relay.count(CODE), 1);

    // The listener is gone once the sign-in is over.
    let callback = param("redirect_uri").unwrap();
    assert!(reqwest::get(&callback).await.is_err(), "the callback still listens");

    let me = client(&api, auth).me().await.unwrap();
    assert_eq!(me.sub, "alice");
}

#[tokio::test]
async fn a_callback_with_another_state_is_refused() {
    let provider = Provider::start();
    let relay = Relay::start(&provider).await;
    let (auth, mut opened) = code_flow(&provider, &relay);

    // The browser arrives with an authorization response the provider made for another
    // `state`: one a cross-site request forgery would bring.
    let browser = tokio::spawn(async move {
        let url = opened.recv().await.unwrap().to_string();
        let mut forged = reqwest::Url::parse(&url).unwrap();
        let pairs: Vec<(String, String)> = forged
            .query_pairs()
            .map(|(k, v)| {
                let value = if k == "state" { "forged-state-0123456789".into() } else { v.into_owned() };
                (k.into_owned(), value)
            })
            .collect();
        forged.query_pairs_mut().clear().extend_pairs(pairs);
        Browser::new().open(forged.as_str()).await
    });
    let err = auth.sign_in().await.unwrap_err();
    let page = browser.await.unwrap();

    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(err.to_string().contains("`state` is not the one this sign-in sent"), "{err}");
    assert_eq!(page.status, 400);
    assert!(page.body.contains("Sign-in failed"));
    // The code was never exchanged.
    assert_eq!(relay.count(CODE), 0);
}

#[tokio::test(start_paused = true)]
async fn the_device_flow_honours_slow_down_and_completes() {
    let provider = Provider::start();
    let relay = Relay::start(&provider).await;
    let (api, _) = protected_api(&provider).await;
    relay.slow_down_next(1);
    let (codes, mut shown) = tokio::sync::mpsc::unbounded_channel();
    let auth =
        Auth::oauth2_device(relay.url("/device/auth"), relay.url("/token"), CLIENT_ID, ["openid", "offline_access"])
            .on_code(move |code| codes.send(code.clone()).unwrap());
    let signing_in = tokio::spawn({
        let auth = auth.clone();
        async move { auth.sign_in().await }
    });

    let code = shown.recv().await.unwrap();
    assert!(!code.user_code.is_empty());
    assert!(code.verification_uri.starts_with(&provider.issuer), "{}", code.verification_uri);
    // The first poll is told to slow down, the second is still pending at the provider; then
    // the user approves in the browser.
    relay.polls(2).await;
    let complete = code.verification_uri_complete.clone().unwrap();
    let page = in_real_time(async move {
        let browser = Browser::new();
        let confirm = browser.open(&complete).await;
        browser.submit(&confirm, &[("confirm", "yes")]).await
    })
    .await;
    assert!(page.body.contains("signed in"), "{}", page.body);
    signing_in.await.unwrap().unwrap();

    let seen = relay.seen();
    let start = seen.iter().find(|s| s.path == "/device/auth").unwrap().at;
    let polls: Vec<_> = seen.iter().filter(|s| s.grant_type.as_deref() == Some(POLL)).collect();
    let offsets: Vec<u64> = polls.iter().map(|p| p.at.duration_since(start).as_secs()).collect();
    let answers: Vec<Option<&str>> = polls.iter().map(|p| p.error.as_deref()).collect();
    // 5 s (the default interval), then 10 s after `slow_down`, and 10 s from then on.
    assert_eq!(offsets, [5, 15, 25]);
    assert_eq!(answers, [Some("slow_down"), Some("authorization_pending"), None]);

    assert_eq!(client(&api, auth).me().await.unwrap().sub, "alice");
}

#[tokio::test(start_paused = true)]
async fn a_denied_device_sign_in_is_a_clear_error() {
    let provider = Provider::start();
    let relay = Relay::start(&provider).await;
    let (codes, mut shown) = tokio::sync::mpsc::unbounded_channel();
    let auth = Auth::oauth2_device(relay.url("/device/auth"), relay.url("/token"), CLIENT_ID, ["openid"])
        .on_code(move |code| codes.send(code.clone()).unwrap());
    let signing_in = tokio::spawn(async move { auth.sign_in().await });
    let code = shown.recv().await.unwrap();
    relay.polls(1).await;
    let complete = code.verification_uri_complete.clone().unwrap();
    in_real_time(async move {
        let browser = Browser::new();
        let confirm = browser.open(&complete).await;
        browser.submit(&confirm, &[("abort", "yes")]).await
    })
    .await;
    let err = signing_in.await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(err.to_string().contains("the user denied the request (access_denied)"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn an_expired_token_answer_ends_the_device_flow_with_a_clear_error() {
    let provider = Provider::start();
    let relay = Relay::start(&provider).await;
    relay.answer_next_poll_with(1, "authorization_pending");
    relay.answer_next_poll_with(1, "expired_token");
    let auth = Auth::oauth2_device(relay.url("/device/auth"), relay.url("/token"), CLIENT_ID, ["openid"]);
    let err = auth.sign_in().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(
        err.to_string().contains("the device code expired before the sign-in was approved (expired_token)"),
        "{err}"
    );
    assert_eq!(relay.count(POLL), 2, "no poll after expired_token");
}

#[tokio::test(start_paused = true)]
async fn the_device_flow_stops_polling_when_the_code_expires_unapproved() {
    let provider = Provider::start();
    let relay = Relay::start(&provider).await;
    let auth = Auth::oauth2_device(relay.url("/device/auth"), relay.url("/token"), CLIENT_ID, ["openid"]);
    let err = auth.sign_in().await.unwrap_err();
    assert!(err.to_string().contains("(expired_token)"), "{err}");
    // The provider's device code lives 600 s and the client polls every 5 s: it stops at the
    // code's expiry by its own clock, with every poll answered `authorization_pending`.
    let seen = relay.seen();
    let start = seen.iter().find(|s| s.path == "/device/auth").unwrap().at;
    let polls: Vec<_> = seen.iter().filter(|s| s.grant_type.as_deref() == Some(POLL)).collect();
    assert_eq!(polls.len(), 119, "a poll every 5 s before the 600 s are up");
    assert!(polls.iter().all(|p| p.error.as_deref() == Some("authorization_pending")));
    assert_eq!(polls.last().unwrap().at.duration_since(start), Duration::from_secs(595));
}

#[tokio::test]
async fn a_confidential_client_authenticates_with_its_secret_and_a_wrong_one_is_refused() {
    let provider = Provider::start();
    let relay = Relay::start(&provider).await;
    let (api, _) = protected_api(&provider).await;
    let sign_in = |secret: &'static str| {
        let (urls, mut opened) = tokio::sync::mpsc::unbounded_channel::<String>();
        let auth = Auth::oauth2_authorization_code(
            provider.url("/auth"),
            relay.url("/token"),
            CONFIDENTIAL_ID,
            ["openid", "offline_access"],
        )
        .client_secret(secret)
        .authorize_param("prompt", "consent")
        .open_with(move |url| {
            urls.send(url.as_str().to_string()).unwrap();
            Ok(())
        });
        let browser = tokio::spawn(async move { Browser::new().open(&opened.recv().await.unwrap()).await });
        (auth, browser)
    };

    let (auth, browser) = sign_in(CONFIDENTIAL_SECRET);
    auth.sign_in().await.unwrap();
    browser.await.unwrap();
    assert_eq!(client(&api, auth).me().await.unwrap().sub, "alice");
    let redeemed = relay.seen().into_iter().find(|s| s.grant_type.as_deref() == Some(CODE)).unwrap();
    assert!(redeemed.basic && redeemed.status == 200, "{redeemed:?}");

    let wrong = "not-the-client-secret";
    let (auth, browser) = sign_in(wrong);
    let err = auth.sign_in().await.unwrap_err();
    browser.await.unwrap();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(err.to_string().contains("invalid_client"), "{err}");
    assert!(!format!("{err} {err:?} {auth:?}").contains(wrong), "the secret is in no error or Debug");
}

/// The tokens in `store`, with the access token expired a second ago.
async fn expire(store: &dyn TokenStore) -> StoredToken {
    let mut token = store.load().await.unwrap().unwrap();
    token.expires_at = Some(SystemTime::now() - Duration::from_secs(1));
    store.save(&token).await.unwrap();
    token
}

#[tokio::test]
async fn refresh_rotation_keeps_the_newest_refresh_token() {
    let provider = Provider::start();
    let relay = Relay::start(&provider).await;
    let (api, _) = protected_api(&provider).await;
    let dir = std::env::temp_dir().join(format!("restrait-sign-in-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = FileTokenStore::new(dir.join("tokens.json"));
    signed_in(&provider, &relay, store.clone()).await;

    let first = expire(&store).await.refresh_token.unwrap();
    // A new process: the tokens come from the file, the access token is expired.
    let auth = Auth::oauth2_authorization_code(provider.url("/auth"), relay.url("/token"), CLIENT_ID, ["openid"])
        .store(store.clone());
    assert_eq!(client(&api, auth).me().await.unwrap().sub, "alice");
    assert_eq!(relay.count(REFRESH), 1);
    let second = store.load().await.unwrap().unwrap().refresh_token.unwrap();
    assert_ne!(second.expose_secret(), first.expose_secret(), "the provider rotates refresh tokens");

    // And the newest one renews again.
    expire(&store).await;
    let auth = Auth::oauth2_authorization_code(provider.url("/auth"), relay.url("/token"), CLIENT_ID, ["openid"])
        .store(store.clone());
    assert_eq!(client(&api, auth).me().await.unwrap().sub, "alice");
    let third = store.load().await.unwrap().unwrap().refresh_token.unwrap();
    assert_ne!(third.expose_secret(), second.expose_secret());
    assert_eq!(relay.count(REFRESH), 2);
    // The provider no longer takes the first one: only the newest is worth keeping (and
    // oidc-provider revokes the whole grant when a used one comes back, so this goes last).
    let stale = reqwest::Client::new()
        .post(provider.url("/token"))
        .form(&[("grant_type", REFRESH), ("refresh_token", first.expose_secret()), ("client_id", CLIENT_ID)])
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 400);
    assert!(stale.text().await.unwrap().contains("invalid_grant"));

    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_hundred_concurrent_calls_with_an_expired_token_refresh_once() {
    let provider = Provider::start();
    let relay = Relay::start(&provider).await;
    let (api, served) = protected_api(&provider).await;
    // The signed-in tokens, handed to a fresh authenticator with the access token expired.
    let tokens = relay_tokens(&provider).await;
    let store = MemoryTokenStore::new();
    store
        .save(&StoredToken {
            access_token: tokens.0,
            refresh_token: Some(tokens.1),
            expires_at: Some(SystemTime::now() - Duration::from_secs(1)),
        })
        .await
        .unwrap();
    let refreshes_before = relay.count(REFRESH);

    let auth =
        Auth::oauth2_authorization_code(provider.url("/auth"), relay.url("/token"), CLIENT_ID, ["openid"]).store(store);
    let client = client(&api, auth);
    let calls = (0..100).map(|_| client.me());
    let results = futures_util::future::join_all(calls).await;
    assert!(results.iter().all(|r| r.as_ref().is_ok_and(|me| me.sub == "alice")));
    assert_eq!(relay.count(REFRESH) - refreshes_before, 1);
    assert_eq!(served.load(Ordering::Acquire), 100);
}

/// A fresh pair of tokens for `alice`, obtained by the code flow straight from the provider
/// (as another process of the same user would).
async fn relay_tokens(provider: &Provider) -> (SecretString, SecretString) {
    let relay = Relay::start(provider).await;
    let store = std::sync::Arc::new(MemoryTokenStore::new());
    let auth = signed_in(provider, &relay, SharedStore(store.clone())).await;
    drop(auth);
    let token = store.load().await.unwrap().unwrap();
    (token.access_token, token.refresh_token.unwrap())
}

/// A store the test keeps a handle on.
struct SharedStore(std::sync::Arc<MemoryTokenStore>);

#[restrait::async_trait]
impl TokenStore for SharedStore {
    async fn load(&self) -> std::result::Result<Option<StoredToken>, restrait::auth::BoxError> {
        self.0.load().await
    }
    async fn save(&self, token: &StoredToken) -> std::result::Result<(), restrait::auth::BoxError> {
        self.0.save(token).await
    }
    async fn clear(&self) -> std::result::Result<(), restrait::auth::BoxError> {
        self.0.clear().await
    }
}

#[tokio::test]
async fn a_refused_access_token_is_refreshed_once_and_the_call_replayed() {
    let provider = Provider::start();
    let relay = Relay::start(&provider).await;
    let (api, _) = protected_api(&provider).await;
    let (_, refresh) = relay_tokens(&provider).await;
    let store = MemoryTokenStore::new();
    store
        .save(&StoredToken {
            access_token: SecretString::from("revoked-behind-the-clients-back".to_string()),
            refresh_token: Some(refresh),
            expires_at: Some(SystemTime::now() + Duration::from_secs(3600)),
        })
        .await
        .unwrap();
    let auth =
        Auth::oauth2_authorization_code(provider.url("/auth"), relay.url("/token"), CLIENT_ID, ["openid"]).store(store);
    assert_eq!(client(&api, auth).me().await.unwrap().sub, "alice");
    assert_eq!(relay.count(REFRESH), 1);
}

#[tokio::test]
async fn the_sentinel_secret_appears_in_no_debug_error_or_trace() {
    const SENTINEL: &str = "s3ntinel-7f3a9c";
    let provider = Provider::start();
    let relay = Relay::start(&provider).await;
    let (api, _) = protected_api(&provider).await;
    let (captured, _guard) = support::capture_traces(tracing_subscriber::fmt::format::FmtSpan::FULL);

    let store = MemoryTokenStore::new();
    let stored = StoredToken {
        access_token: SecretString::from(format!("{SENTINEL}-access")),
        refresh_token: Some(SecretString::from(format!("{SENTINEL}-refresh"))),
        expires_at: Some(SystemTime::now() + Duration::from_secs(3600)),
    };
    store.save(&stored).await.unwrap();
    let auth = Auth::oauth2_authorization_code(provider.url("/auth"), relay.url("/token"), CLIENT_ID, ["openid"])
        .client_secret(format!("{SENTINEL}-client"))
        .store(store);
    let client = client(&api, auth.clone());
    // The API refuses the access token; the refresh token is refused by the provider.
    let err = client.me().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    assert!(err.to_string().contains("invalid_client"), "{err}");

    let texts = [
        format!("{err}"),
        format!("{err:?}"),
        format!("{auth:?}"),
        format!("{stored:?}"),
        format!("{client:?}"),
        format!("{:?}", MemoryTokenStore::new()),
        captured.text(),
    ];
    for text in &texts {
        assert_eq!(text.matches(SENTINEL).count(), 0, "{text}");
    }
    assert!(captured.text().contains("refreshing the OAuth2 access token"), "traces were captured");
}
