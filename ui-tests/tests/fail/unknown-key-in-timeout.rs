use restrait::{api, get, Result};

#[api(base = "https://api.example.com")]
pub trait Users {
    #[get("/users/<id>")]
    #[timeout(totl = "30s")]
    async fn user(&self, id: u64) -> Result<()>;
}

fn main() {}
