import { OptionalField } from '../shared/http/validators';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsEmail, IsEnum, IsString, IsUUID, Length, MaxLength } from 'class-validator';
import { Role } from '../shared/auth/role';

export class CreateUserDto {
  @ApiProperty({ example: 'therapist@clinic.example' })
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @ApiProperty({ minLength: 12, maxLength: 128 })
  @IsString()
  @Length(12, 128)
  password!: string;

  @ApiProperty({ enum: Role })
  @IsEnum(Role)
  role!: Role;

  @ApiPropertyOptional({ description: 'Required for SUPER_ADMIN callers (except when creating a SUPER_ADMIN); an ADMIN may only give their own' })
  @OptionalField()
  @IsUUID()
  organizationId?: string;
}

export class UpdateUserDto {
  @ApiPropertyOptional({ enum: Role })
  @OptionalField()
  @IsEnum(Role)
  role?: Role;

  @ApiPropertyOptional()
  @OptionalField()
  @IsBoolean()
  active?: boolean;
}

export class ListUsersQuery {
  @ApiPropertyOptional({ description: 'SUPER_ADMIN only: the organization to list' })
  @OptionalField()
  @IsUUID()
  organizationId?: string;
}

export class UserResponse {
  @ApiProperty() id!: string;
  @ApiProperty() email!: string;
  @ApiProperty({ enum: Role }) role!: Role;
  @ApiProperty({ nullable: true, type: String }) organizationId!: string | null;
  @ApiProperty() active!: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class UserList {
  @ApiProperty({ type: [UserResponse] }) items!: UserResponse[];
}
