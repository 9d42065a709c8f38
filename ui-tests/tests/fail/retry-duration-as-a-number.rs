use restrait::{api, get, Result};

#[api(base = "https://api.example.com")]
pub trait Users {
    #[get("/users/<id>")]
    #[retry(max_delay = 20)]
    async fn user(&self, id: u64) -> Result<()>;
}

fn main() {}
