use restrait::{api, get, Result};

#[api(base = "https://api.example.com")]
pub trait Users {
    #[get("/users/<id>")]
    #[rate_limit(per_second = "10")]
    async fn user(&self, id: u64) -> Result<()>;
}

fn main() {}
