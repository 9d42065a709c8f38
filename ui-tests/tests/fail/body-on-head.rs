use restrait::{api, head, Result};

#[api(base = "https://api.example.com")]
pub trait Users {
    #[head("/users")]
    async fn exists(&self, #[body] name: &str) -> Result<()>;
}

fn main() {}
