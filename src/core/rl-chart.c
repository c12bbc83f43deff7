/* rl-chart.c — to be written */
