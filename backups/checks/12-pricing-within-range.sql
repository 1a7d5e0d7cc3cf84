-- InstaInstru: every format price lies in 0 < hourly_rate <= 1000 and belongs to an existing instructor service.
SELECT p.id, p.hourly_rate
FROM service_format_pricing p
LEFT JOIN instructor_services s ON s.id = p.instructor_service_id
WHERE p.hourly_rate <= 0 OR p.hourly_rate > 1000 OR s.id IS NULL;
