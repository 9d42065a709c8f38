use restrait::{api, post, Result};

#[api(base = "https://api.example.com")]
pub trait Users {
    #[post("/users")]
    #[idempotent]
    #[idempotency_key("Idempotency-Key")]
    async fn create(&self) -> Result<()>;
}

fn main() {}
