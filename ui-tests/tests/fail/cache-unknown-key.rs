use restrait::{api, get, Result};

#[api(base = "https://api.example.com")]
#[cache(max_age = "5m")]
pub trait Users {
    #[get("/users/<id>")]
    #[cache]
    #[cache(ttl = "1m")]
    async fn user(&self, id: u64) -> Result<String>;
}

fn main() {}
