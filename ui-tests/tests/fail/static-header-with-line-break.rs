use restrait::{api, get, Result};

#[api(base = "https://api.example.com")]
pub trait Users {
    #[get("/users/<id>")]
    #[header("X-Trace: abc\r\nX-Admin: true")]
    async fn user(&self, id: u64) -> Result<()>;
}

fn main() {}
