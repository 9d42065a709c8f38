use restrait::{api, post, Result};

#[api(base = "https://api.example.com")]
pub trait Users {
    #[post("/users")]
    #[idempotency_key("Bad Header")]
    async fn create(&self) -> Result<()>;
}

fn main() {}
