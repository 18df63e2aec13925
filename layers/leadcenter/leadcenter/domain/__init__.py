"""Domain logic: works on domain types and data-access modules; never sees events, os.environ or boto3."""
