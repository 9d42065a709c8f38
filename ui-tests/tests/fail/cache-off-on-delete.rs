use restrait::{api, delete, Result};

#[api(base = "https://api.example.com")]
pub trait Users {
    #[delete("/users/<id>")]
    #[cache(off)]
    async fn remove(&self, id: u64) -> Result<()>;
}

fn main() {}
