fn main() {
    engine::hello();
    println!("{}", tch::Cuda::is_available());
}
