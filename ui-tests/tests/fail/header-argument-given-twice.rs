use restrait::{api, get, Result};

#[api(base = "https://api.example.com")]
pub trait Users {
    #[get("/users/<id>")]
    async fn user(&self, id: u64, #[header("X-Request-Id")] a: &str, #[header("x-request-id")] b: &str) -> Result<()>;
}

fn main() {}
