use restrait::{api, post, Result};

#[api(base = "https://api.example.com")]
pub trait Users {
    #[post("/users")]
    #[header("Content-Type: hello, world!")]
    async fn create(&self, #[body] name: &str) -> Result<()>;
}

fn main() {}
