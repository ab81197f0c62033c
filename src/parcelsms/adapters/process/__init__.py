"""How the processes of one platform on one machine tell each other things: a shared change
epoch for caches and a wake-up socket for the pipeline."""
