use restrait::{api, get, Result};

#[api(base = "https://api.example.com")]
pub trait Users {
    #[get("/users")]
    async fn users(&self, #[query] #[header("X-Page")] page: u32) -> Result<()>;
}

fn main() {}
