"""One codec per API family: which strings to scan, how to restore answers and streams."""
