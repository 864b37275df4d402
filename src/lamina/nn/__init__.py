"""lamina.nn: modules, containers, layers and losses with torch.nn's names."""
