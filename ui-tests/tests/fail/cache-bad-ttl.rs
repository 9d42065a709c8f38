use restrait::{api, get, Result};

#[api(base = "https://api.example.com")]
pub trait Users {
    #[get("/users/<id>")]
    #[cache(ttl = "5 minutes")]
    async fn user(&self, id: u64) -> Result<String>;

    #[get("/users/<id>/name")]
    #[cache(ttl = "0s")]
    async fn name(&self, id: u64) -> Result<String>;

    #[get("/users/<id>/age")]
    #[cache(ttl = 300)]
    async fn age(&self, id: u64) -> Result<String>;
}

fn main() {}
