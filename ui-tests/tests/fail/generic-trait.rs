use restrait::{api, get, Result};
use serde::de::DeserializeOwned;

#[api(base = "https://api.example.com")]
pub trait Store<T: DeserializeOwned> {
    #[get("/items/<id>")]
    async fn item(&self, id: u64) -> Result<T>;
}

fn main() {}
