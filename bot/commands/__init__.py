"""Implementations of the CLI subcommands that sit on top of the pipeline."""
