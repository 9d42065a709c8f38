use restrait::{api, get, ByteStream, Response, Result};

#[api(base = "https://api.example.com")]
pub trait Files {
    #[get("/files/<name>")]
    async fn download(&self, name: &str) -> Result<Response<ByteStream>>;
}

fn main() {}
