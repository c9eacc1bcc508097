"""What a day is about: keyphrases per paper, topics of a period, and the map of all papers."""
