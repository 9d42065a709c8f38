use restrait::{api, get, Result};

#[api(base = "https://api.example.com")]
pub trait Files {
    #[get("/files/<name>.json")]
    async fn file(&self, name: &str) -> Result<()>;
}

fn main() {}
