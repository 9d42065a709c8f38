use restrait::{api, get, Result};

#[api(base = "https://api.example.com")]
pub trait Users {
    #[get("/users/<id>")]
    #[timeout(total = "10s", idle = "5s")]
    async fn user(&self, id: u64) -> Result<String>;
}

fn main() {}
