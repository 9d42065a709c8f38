use restrait::{api, post, Result};

#[api(base = "https://api.example.com")]
pub trait Users {
    #[post("/users")]
    async fn create(&self, #[body(xml)] user: &str) -> Result<()>;
}

fn main() {}
