//! Signing a user in: `cargo run --example sign_in`.
//!
//! Starts the demo bookshop API on a loopback port (it includes a small demo OAuth 2.0
//! authorization server, `/oauth/authorize` and `/oauth/token`; not a real one: it signs in a
//! fixed user without a login form) and then does what a CLI built on an SDK does:
//!
//! 1. signs the user in with `Auth::oauth2_authorization_code` (PKCE, a one-shot loopback
//!    callback on 127.0.0.1), keeping the tokens in a `FileTokenStore` (mode 0600);
//! 2. calls the protected `GET /me` with the `BookshopClient`;
//! 3. after the server forgot the access token, calls again: the 401 makes the client refresh
//!    once with the refresh token (which the server rotates) and replay the call;
//! 4. starts a second client, as the next run of the CLI would: it finds the tokens in the
//!    file and does not sign in again;
//! 5. signs out, which deletes the file.
//!
//! **It runs unattended.** Where a real CLI opens the user's browser on the authorization URL
//! (see `open_with` in [`run`]), this example hands the URL to a scripted browser: a plain HTTP
//! client that follows the demo's redirect back to the loopback callback, as a browser would
//! after the user signed in.

use std::error::Error as StdError;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use restrait::auth::{FileTokenStore, OAuth2AuthorizationCode};
use restrait::reqwest::{self, Url};
use restrait::{Auth, ErrorKind};
use restrait_examples::bookshop::{Bookshop, BookshopClient, User};
use restrait_examples::demo_server::{DemoServer, DEMO_CLIENT_ID};

/// Any error a step can end with; a failure ends the example with a non-zero status.
type Failure = Box<dyn StdError + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let server = DemoServer::start().await?;
    // A fresh directory for the token file; a real CLI would use its config directory
    // (`~/.config/<tool>/tokens.json`).
    let dir = std::env::temp_dir().join(format!("restrait-sign-in-example-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let outcome = run(server.base_url(), &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
    server.shutdown().await;
    outcome.map(|_| ())
}

/// What [`run`] saw, for `examples/tests/sign_in.rs` to check.
#[derive(Debug)]
pub struct Outcome {
    /// `GET /me` right after the sign-in.
    pub signed_in_as: User,
    /// `GET /me` after the server forgot the access token (a refresh in between).
    pub after_refresh: User,
    /// `GET /me` from the second client, with the tokens from the file.
    pub second_client: User,
    /// How many times a browser was asked to open the authorization URL.
    pub browser_opened: usize,
}

/// Every step against the demo API at `base_url`, the tokens kept in `dir/tokens.json`.
/// Public so that `examples/tests/sign_in.rs` can run the example as a test.
pub async fn run(base_url: &str, dir: &Path) -> Result<Outcome, Failure> {
    println!("restrait sign-in: a user signs in to the demo API at {base_url}");
    let tokens = dir.join("tokens.json");
    let opened = Arc::new(AtomicUsize::new(0));

    section("1. Without signing in");
    let anonymous = BookshopClient::builder().base_url(base_url).build()?;
    match anonymous.me().await {
        Err(e) if e.kind() == ErrorKind::Unauthorized => println!("me() -> {:?}: {e}", e.kind()),
        other => return Err(format!("GET /me without a token should be a 401, not {other:?}").into()),
    }

    section("2. Signing in (authorization code with PKCE, loopback callback)");
    let auth = sign_in_auth(base_url, &tokens).open_with({
        let opened = opened.clone();
        move |url| {
            opened.fetch_add(1, Ordering::SeqCst);
            // A real CLI opens the user's browser here, e.g. with the `open` crate:
            // `open::that(url.as_str())?; Ok(())`, and prints the URL in case it cannot.
            println!("open_with: a browser would now open {}", without_query(url));
            tokio::spawn(scripted_browser(url.clone()));
            Ok(())
        }
    });
    auth.sign_in_if_needed().await?;
    println!("signed in; the tokens are in {}{}", tokens.display(), file_mode(&tokens));

    section("3. Calling the API as the user");
    let shop = BookshopClient::builder().base_url(base_url).auth(auth.clone()).build()?;
    let signed_in_as = shop.me().await?;
    println!("me() -> {signed_in_as:?}");

    section("4. A 401 makes the client refresh once, then replay");
    reqwest::Client::new().post(format!("{base_url}/__demo/expire_tokens")).send().await?.error_for_status()?;
    println!("the demo server forgot every access token (POST /__demo/expire_tokens)");
    let after_refresh = shop.me().await?;
    println!("me() -> {after_refresh:?}  (401, refresh with the refresh token, which the server rotated; replayed)");

    section("5. The next run: a second client finds the tokens in the file");
    let second = sign_in_auth(base_url, &tokens).open_with(|_| Err("this run should not need a new sign-in".into()));
    second.sign_in_if_needed().await?;
    let shop = BookshopClient::builder().base_url(base_url).auth(second.clone()).build()?;
    let second_client = shop.me().await?;
    println!("me() -> {second_client:?}  (no browser opened, no new sign-in)");

    section("6. Signing out");
    second.sign_out().await?;
    println!("signed out; the token file is {}", if tokens.exists() { "still there" } else { "gone" });

    let browser_opened = opened.load(Ordering::SeqCst);
    println!("\nDone: the browser was opened {browser_opened} time(s).");
    Ok(Outcome { signed_in_as, after_refresh, second_client, browser_opened })
}

fn section(title: &str) {
    println!("\n== {title} ==");
}

/// The code flow against the demo's endpoints, its tokens in the file `tokens`. The demo
/// answers a browser at once, so the sign-in gives up after 10 s rather than 5 minutes.
fn sign_in_auth(base_url: &str, tokens: &Path) -> OAuth2AuthorizationCode {
    Auth::oauth2_authorization_code(
        format!("{base_url}/oauth/authorize"),
        format!("{base_url}/oauth/token"),
        DEMO_CLIENT_ID,
        ["profile"],
    )
    .store(FileTokenStore::new(tokens))
    .sign_in_timeout(Duration::from_secs(10))
}

/// What a browser does once the user has signed in: it follows the authorization server's
/// redirect to the loopback callback, which answers with a short page. A failure is printed;
/// the sign-in then ends with its timeout.
async fn scripted_browser(url: Url) {
    let visit = async {
        let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
        let answer = browser.get(url).send().await?;
        let status = answer.status();
        let location = answer.headers().get("location").and_then(|l| l.to_str().ok()).map(str::to_string);
        let Some(callback) = location.filter(|_| status.is_redirection()) else {
            return Err(format!("the authorization server answered {status}: {}", answer.text().await?).into());
        };
        let callback = Url::parse(&callback)?;
        println!("browser: the authorization server redirected ({status}) to {}", without_query(&callback));
        let page = browser.get(callback).send().await?;
        let status = page.status();
        let html = page.text().await?;
        let title = html.split_once("<title>").and_then(|(_, rest)| rest.split_once("</title>")).map(|(t, _)| t);
        println!("browser: the callback page answered {status}, titled {:?}", title.unwrap_or_default());
        Ok::<_, Failure>(())
    };
    if let Err(e) = visit.await {
        eprintln!("browser: {e}");
    }
}

/// `url` without its query, which carries the `state`, the code or the PKCE challenge.
fn without_query(url: &Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    format!("{url}?…")
}

#[cfg(unix)]
fn file_mode(path: &Path) -> String {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::metadata(path) {
        Ok(meta) => format!(" (mode {:o})", meta.permissions().mode() & 0o777),
        Err(e) => format!(" (not readable: {e})"),
    }
}

#[cfg(not(unix))]
fn file_mode(_: &Path) -> String {
    String::new()
}
