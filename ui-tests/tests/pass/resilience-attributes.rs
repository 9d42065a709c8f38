// Every resilience attribute, at trait level (for every method) and at method level (for that
// method): `#[retry]` with each key and `#[retry(off)]`, `#[rate_limit]` with each period and
// a burst, `#[timeout]` in both forms, `#[idempotent]` and `#[idempotency_key]`.
use restrait::{api, delete, get, patch, post, put, Result};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Order {
    pub id: u64,
}

#[api(base = "https://shop.example.com/v2")]
#[retry(max_attempts = 4, base_delay = "250ms", max_delay = "10s")]
#[rate_limit(per_second = 10, burst = 20)]
#[timeout(total = "30s", attempt = "5s")]
#[header("Accept: application/json")]
pub trait Shop {
    #[get("/orders/<id>")]
    async fn order(&self, id: u64) -> Result<Order>;

    #[get("/orders/<id>/status")]
    #[retry(max_attempts = 2)]
    #[rate_limit(per_minute = 600)]
    #[timeout("2s")]
    async fn status(&self, id: u64) -> Result<String>;

    #[post("/orders")]
    #[idempotency_key("Idempotency-Key")]
    #[rate_limit(per_hour = 1000, burst = 5)]
    async fn place(&self, #[body] item: &str) -> Result<Order>;

    #[patch("/orders/<id>")]
    #[idempotent]
    #[retry(base_delay = "1s")]
    #[timeout(attempt = "1500ms")]
    async fn rename(&self, id: u64, #[query] name: &str) -> Result<()>;

    #[put("/orders/<id>/paid")]
    #[retry(off)]
    #[timeout(total = "1m")]
    async fn mark_paid(&self, id: u64) -> Result<()>;

    #[delete("/orders/<id>")]
    #[retry(max_delay = "1h")]
    async fn cancel(&self, id: u64) -> Result<()>;
}

fn main() {
    let ops = ShopClient::OPERATIONS;
    let by_name = |name: &str| ops.iter().find(|o| o.name == name).unwrap();
    // POST and PATCH are retryable only with `#[idempotency_key]` or `#[idempotent]`.
    assert!(by_name("place").idempotent);
    assert!(by_name("rename").idempotent);
    assert!(by_name("order").idempotent);
    assert!(by_name("mark_paid").requires_confirmation);
    let _ = ShopClient::new();
}
