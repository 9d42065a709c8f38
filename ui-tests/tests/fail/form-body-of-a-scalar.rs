use restrait::{api, post, Result};

#[api(base = "https://api.example.com")]
pub trait Notes {
    #[post("/notes")]
    async fn create(&self, #[body(form)] text: &str) -> Result<()>;
}

fn main() {}
