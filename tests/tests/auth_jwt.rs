//! `Auth::jwt` and `Auth::github_app`: tokens that a real verifier (the `jsonwebtoken` crate)
//! accepts for HS256, RS256 and ES256, `iat` backdated for a verifier whose clock is behind, a
//! token signed again before it expires, and the GitHub App installation-token exchange
//! against a loopback GitHub: one token request for 100 concurrent calls, another after the
//! refresh point.

mod wire;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get as route_get, post as route_post};
use axum::{Json, Router};
use jsonwebtoken::{decode, Algorithm, DecodingKey, Validation};
use restrait::auth::JwtKey;
use restrait::{api, get, Auth, ErrorKind, Result};
use serde_json::{json, Value};
use wire::serve;

#[api(base = "http://127.0.0.1:1")]
trait Api {
    #[get("/whoami")]
    async fn whoami(&self) -> Result<String>;
}

const RSA_PRIVATE: &[u8] = include_bytes!("keys/rsa_private.pem");
const RSA_PUBLIC: &[u8] = include_bytes!("keys/rsa_public.pem");
const EC_PRIVATE: &[u8] = include_bytes!("keys/ec_private.pem");
const EC_PUBLIC: &[u8] = include_bytes!("keys/ec_public.pem");

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// An API that answers with the bearer token it received.
async fn echo_api() -> String {
    let router = Router::new().route(
        "/whoami",
        route_get(|headers: HeaderMap| async move {
            headers.get("authorization").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
        }),
    );
    serve(router).await
}

async fn sent_token(client: &ApiClient) -> String {
    client.whoami().await.unwrap().strip_prefix("Bearer ").expect("a bearer token").to_string()
}

#[tokio::test]
async fn tokens_verify_with_jsonwebtoken_for_hs256_rs256_and_es256() {
    let base = echo_api().await;
    let cases = [
        (JwtKey::hs256("a shared secret"), DecodingKey::from_secret(b"a shared secret"), Algorithm::HS256),
        (JwtKey::rs256_pem(RSA_PRIVATE).unwrap(), DecodingKey::from_rsa_pem(RSA_PUBLIC).unwrap(), Algorithm::RS256),
        (JwtKey::es256_pem(EC_PRIVATE).unwrap(), DecodingKey::from_ec_pem(EC_PUBLIC).unwrap(), Algorithm::ES256),
    ];
    for (key, verifying, algorithm) in cases {
        let auth = Auth::jwt(key).issuer("restrait-tests").audience("https://api.example").claim("scope", "read");
        let client = ApiClient::builder().base_url(&base).auth(auth).build().unwrap();
        let token = sent_token(&client).await;
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&["restrait-tests"]);
        validation.set_audience(&["https://api.example"]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud"]);
        let claims = decode::<Value>(&token, &verifying, &validation)
            .unwrap_or_else(|e| panic!("{algorithm:?}: the verifier refused the token: {e}"))
            .claims;
        assert_eq!(claims["scope"], "read");
        let (iat, exp) = (claims["iat"].as_u64().unwrap(), claims["exp"].as_u64().unwrap());
        assert_eq!(exp - iat, 9 * 60 + 60, "{algorithm:?}: default lifetime 9 min, iat backdated 60 s");
        // The wrong key must not verify, or this test could not fail.
        let wrong = DecodingKey::from_secret(b"another secret");
        if algorithm == Algorithm::HS256 {
            assert!(decode::<Value>(&token, &wrong, &validation).is_err());
        }
    }
}

#[tokio::test]
async fn a_verifier_whose_clock_is_behind_accepts_the_backdated_iat() {
    let base = echo_api().await;
    let auth = Auth::jwt(JwtKey::hs256("k3y-material")).iat_skew(Duration::from_secs(60));
    let client = ApiClient::builder().base_url(&base).auth(auth).build().unwrap();
    let token = sent_token(&client).await;
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.set_required_spec_claims(&["exp", "iat"]);
    let claims = decode::<Value>(&token, &DecodingKey::from_secret(b"k3y-material"), &validation).unwrap().claims;
    // A verifier 45 s behind rejects tokens "issued in the future" (as GitHub does): this
    // one's `iat` is already in its past.
    let verifier_now = unix_now() - 45;
    assert!(claims["iat"].as_u64().unwrap() <= verifier_now, "{claims}");
    assert!(claims["exp"].as_u64().unwrap() > verifier_now + 8 * 60);
    // With no skew the same verifier would see a token from its future.
    let unskewed = Auth::jwt(JwtKey::hs256("k3y-material")).iat_skew(Duration::ZERO);
    let client = ApiClient::builder().base_url(&base).auth(unskewed).build().unwrap();
    let token = sent_token(&client).await;
    let claims = decode::<Value>(&token, &DecodingKey::from_secret(b"k3y-material"), &validation).unwrap().claims;
    assert!(claims["iat"].as_u64().unwrap() > verifier_now);
}

#[tokio::test(start_paused = true)]
async fn a_token_near_expiry_is_signed_again_and_not_before() {
    let base = echo_api().await;
    let auth = Auth::jwt(JwtKey::es256_pem(EC_PRIVATE).unwrap())
        .lifetime(Duration::from_secs(120))
        .resign_before(Duration::from_secs(30));
    let client = ApiClient::builder().base_url(&base).auth(auth).build().unwrap();
    let first = sent_token(&client).await;
    assert_eq!(sent_token(&client).await, first, "the token is reused while it is good");
    tokio::time::advance(Duration::from_secs(89)).await;
    assert_eq!(sent_token(&client).await, first, "31 s before exp: still the same token");
    tokio::time::advance(Duration::from_secs(2)).await;
    let second = sent_token(&client).await;
    assert_ne!(second, first, "29 s before exp: signed again");
    assert_eq!(sent_token(&client).await, second);
}

#[test]
fn a_bad_pem_is_an_auth_error_without_the_key() {
    let e = JwtKey::rs256_pem(b"-----BEGIN RSA PRIVATE KEY-----\nbm90IGEga2V5\n-----END RSA PRIVATE KEY-----\n")
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth);
    assert!(e.to_string().contains("not an RSA private key"), "{e}");
    assert!(JwtKey::es256_pem(RSA_PRIVATE).is_err());
    let debug = format!("{:?}", Auth::jwt(JwtKey::hs256("s3ntinel-key")));
    assert!(!debug.contains("s3ntinel") && debug.contains("REDACTED"), "{debug}");
}

/// A loopback GitHub: the installation-token endpoint checks the App's JWT with the public key
/// and issues `ghs_1`, `ghs_2`, … (each valid one hour, after a 200 ms delay, so that callers
/// pile up); the API accepts only the latest token.
struct GitHub {
    base: String,
    issued: Arc<AtomicUsize>,
    refused_jwts: Arc<Mutex<Vec<String>>>,
}

async fn github() -> GitHub {
    let issued = Arc::new(AtomicUsize::new(0));
    let refused_jwts = Arc::new(Mutex::new(Vec::new()));
    let (issuer, latest, refused) = (issued.clone(), issued.clone(), refused_jwts.clone());
    let router = Router::new()
        .route(
            "/app/installations/42/access_tokens",
            route_post(move |headers: HeaderMap| {
                let (issuer, refused) = (issuer.clone(), refused.clone());
                async move {
                    let jwt = headers["authorization"].to_str().unwrap().strip_prefix("Bearer ").unwrap().to_string();
                    let mut validation = Validation::new(Algorithm::RS256);
                    validation.set_issuer(&["123"]);
                    validation.set_required_spec_claims(&["exp", "iat", "iss"]);
                    if let Err(e) = decode::<Value>(&jwt, &DecodingKey::from_rsa_pem(RSA_PUBLIC).unwrap(), &validation)
                    {
                        refused.lock().unwrap().push(e.to_string());
                        return (
                            StatusCode::UNAUTHORIZED,
                            Json(json!({"message": "A JSON web token could not be decoded"})),
                        );
                    }
                    assert_eq!(headers["accept"], "application/vnd.github+json");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    let n = issuer.fetch_add(1, Ordering::SeqCst) + 1;
                    let expires = SystemTime::now() + Duration::from_secs(3600);
                    let expires_at = httpdate_to_rfc3339(expires);
                    (StatusCode::CREATED, Json(json!({"token": format!("ghs_{n}"), "expires_at": expires_at})))
                }
            }),
        )
        .route(
            "/whoami",
            route_get(move |headers: HeaderMap| {
                let latest = latest.clone();
                async move {
                    let want = format!("Bearer ghs_{}", latest.load(Ordering::SeqCst));
                    if headers.get("authorization").is_some_and(|v| v == want.as_str()) {
                        (StatusCode::OK, want)
                    } else {
                        (StatusCode::UNAUTHORIZED, "Bad credentials".to_string())
                    }
                }
            }),
        );
    GitHub { base: serve(router).await, issued, refused_jwts }
}

/// `YYYY-MM-DDTHH:MM:SSZ` of a time, as GitHub writes `expires_at`.
fn httpdate_to_rfc3339(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

#[tokio::test(start_paused = true)]
async fn the_installation_token_is_bought_once_for_100_concurrent_calls_and_again_before_expiry() {
    let gh = github().await;
    let auth = Auth::github_app("123", JwtKey::rs256_pem(RSA_PRIVATE).unwrap(), 42).api_base(&gh.base);
    let client = ApiClient::builder().base_url(&gh.base).auth(auth).build().unwrap();

    let calls: Vec<_> = (0..100)
        .map(|_| {
            tokio::spawn({
                let client = client.clone();
                async move { client.whoami().await }
            })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap().unwrap(), "Bearer ghs_1");
    }
    assert_eq!(gh.issued.load(Ordering::SeqCst), 1, "one token request for 100 calls");
    assert!(gh.refused_jwts.lock().unwrap().is_empty(), "{:?}", gh.refused_jwts.lock().unwrap());

    // 54 minutes on, the token (valid 60) is still good: no new request.
    tokio::time::advance(Duration::from_secs(54 * 60)).await;
    assert_eq!(client.whoami().await.unwrap(), "Bearer ghs_1");
    // 56 minutes on, within the 5-minute margin: 100 calls buy one new token.
    tokio::time::advance(Duration::from_secs(2 * 60)).await;
    let calls: Vec<_> = (0..100)
        .map(|_| {
            tokio::spawn({
                let client = client.clone();
                async move { client.whoami().await }
            })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap().unwrap(), "Bearer ghs_2");
    }
    assert_eq!(gh.issued.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn a_refused_app_jwt_is_an_auth_error_quoting_githubs_message() {
    let gh = github().await;
    // Signed with the EC key: GitHub's RS256 check fails.
    let auth = Auth::github_app("123", JwtKey::es256_pem(EC_PRIVATE).unwrap(), 42).api_base(&gh.base);
    let client = ApiClient::builder().base_url(&gh.base).auth(auth).build().unwrap();
    let e = client.whoami().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth);
    assert!(e.to_string().contains("401 Unauthorized: A JSON web token could not be decoded"), "{e}");
    assert_eq!(e.attempts(), 0, "nothing was sent to the API");
}
