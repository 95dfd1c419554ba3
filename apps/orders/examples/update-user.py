"""A plain Kafka client: sends UpdateUser to the commands topic with no key, as any producer could.

usage: python3 update-user.py <bootstrap> <commands topic>
"""
import json
import sys

from kafka import KafkaProducer

producer = KafkaProducer(
    bootstrap_servers=sys.argv[1] if len(sys.argv) > 1 else "localhost:9092",
    value_serializer=lambda value: json.dumps(value).encode("utf-8"),
)
producer.send(sys.argv[2] if len(sys.argv) > 2 else "commands", {"type": "UpdateUser", "userId": 1, "newName": "Alice"})
producer.flush()
print("sent")
