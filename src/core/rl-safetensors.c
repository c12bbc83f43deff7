/* rl-safetensors.c — to be written */
