use restrait::{api, Result};

#[api(base = "https://api.example.com")]
pub trait Users {
    async fn user(&self, id: u64) -> Result<()>;
}

fn main() {}
