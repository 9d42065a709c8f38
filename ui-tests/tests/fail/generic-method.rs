use restrait::{api, get, Result};

#[api(base = "https://api.example.com")]
pub trait Users {
    #[get("/users/<id>")]
    async fn user<T: serde::de::DeserializeOwned>(&self, id: u64) -> Result<T>;
}

fn main() {}
