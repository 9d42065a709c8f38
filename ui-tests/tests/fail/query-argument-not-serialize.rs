use restrait::{api, get, Result};

pub struct Page(pub u32);

#[api(base = "https://api.example.com")]
pub trait Users {
    #[get("/users")]
    async fn users(&self, #[query] page: Page) -> Result<()>;
}

fn main() {}
