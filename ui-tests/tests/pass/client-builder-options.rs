// The generated client's builder with every public option the SPEC names, so that their names
// and argument types are checked: auth schemes, retry policy, rate limit, timeouts, headers.
use std::time::Duration;

use restrait::{api, get, Auth, RateLimit, Result, RetryPolicy};

#[api(base = "https://api.example.com")]
pub trait Users {
    #[get("/users/<id>")]
    async fn user(&self, id: u64) -> Result<String>;
}

fn main() -> Result<()> {
    let client = UsersClient::builder()
        .base_url("http://localhost:8080")
        .auth(Auth::bearer("token"))
        .retry(RetryPolicy::new().max_attempts(5).base_delay(Duration::from_millis(50)).max_delay(Duration::from_secs(2)))
        .rate_limit(RateLimit::per_second(10).burst(20))
        .timeout(Duration::from_secs(30))
        .attempt_timeout(Duration::from_secs(5))
        .connect_timeout(Duration::from_secs(3))
        .user_agent("users/1.0")
        .header("X-Client", "ui-tests")
        .max_response_bytes(1 << 20)
        .build()?;
    let _shared = client.clone();

    let _ = UsersClient::builder().auth(Auth::basic("user", "password")).retry(RetryPolicy::off()).build()?;
    let _ = UsersClient::builder().auth(Auth::api_key_header("X-Api-Key", "key")).rate_limit(RateLimit::per_minute(600)).build()?;
    let _ = UsersClient::builder().auth(Auth::api_key_query("api_key", "key")).rate_limit(RateLimit::per_hour(5000)).build()?;
    let _ = UsersClient::builder().auth(Auth::hmac("secret")).build()?;
    let _ = UsersClient::builder()
        .auth(Auth::oauth2_client_credentials("https://auth.example.com/token", "id", "secret", ["read"]))
        .build()?;
    Ok(())
}
