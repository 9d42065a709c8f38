use restrait::{api, get, Result};

#[api(base = "https://api.example.com")]
pub trait Users {
    #[get]
    async fn users(&self) -> Result<()>;
}

fn main() {}
