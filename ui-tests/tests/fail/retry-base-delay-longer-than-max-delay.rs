use restrait::{api, get, Result};

#[api(base = "https://api.example.com")]
pub trait Users {
    #[get("/users/<id>")]
    #[retry(base_delay = "30s", max_delay = "20s")]
    async fn user(&self, id: u64) -> Result<()>;
}

fn main() {}
