use restrait::{api, post, Result};

#[api(base = "https://api.example.com")]
pub trait Users {
    #[post("/users")]
    #[body]
    async fn create(&self, user: &str) -> Result<()>;
}

fn main() {}
