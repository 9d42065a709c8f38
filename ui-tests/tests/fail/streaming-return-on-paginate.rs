use restrait::{api, get, JsonLines, Result};

#[derive(serde::Deserialize)]
pub struct Item {
    pub id: u64,
}

#[api(base = "https://api.example.com")]
pub trait Items {
    #[get("/items")]
    #[paginate(link)]
    fn items(&self) -> Result<JsonLines<Item>>;
}

fn main() {}
