"""Development tooling for the marketplace: code generation, local stack, benchmarks."""
