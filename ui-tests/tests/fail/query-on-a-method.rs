use restrait::{api, get, Result};

#[api(base = "https://api.example.com")]
pub trait Users {
    #[get("/users")]
    #[query]
    async fn users(&self, page: u32) -> Result<()>;
}

fn main() {}
