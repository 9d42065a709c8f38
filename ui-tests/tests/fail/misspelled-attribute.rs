use restrait::{api, get, Result};

#[api(base = "https://api.example.com")]
pub trait Users {
    #[get("/users/<id>")]
    #[retries(max_attempts = 5)]
    async fn user(&self, id: u64) -> Result<()>;
}

fn main() {}
