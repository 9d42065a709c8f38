use restrait::{api, post, Result};

#[api(base = "https://api.example.com")]
pub trait Users {
    #[post("/users/<id>/touch")]
    #[idempotent]
    #[retry(off)]
    async fn user(&self, id: u64) -> Result<()>;
}

fn main() {}
