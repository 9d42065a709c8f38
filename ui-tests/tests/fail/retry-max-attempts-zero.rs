use restrait::{api, get, Result};

#[api(base = "https://api.example.com")]
pub trait Users {
    #[get("/users/<id>")]
    #[retry(max_attempts = 0)]
    async fn user(&self, id: u64) -> Result<()>;
}

fn main() {}
